import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, expect, type APIRequestContext } from '@playwright/test'

// Each test gets the console as an admin gets it from `npm run serve`: a
// fresh data directory, a child process, and the URL it prints.

export interface ConsoleServer {
  url: string
  origin: string
  token: string
  dataDir: string
  /** Calls the console's API directly, for setting up a scene (e.g. 120 queued messages). */
  api<T = unknown>(method: string, body?: unknown): Promise<T>
}

const ROOT = join(import.meta.dirname, '..', '..')

/** Starts `npm run serve`'s CLI on a data directory (a fresh one when none is given); `env` adds to its environment (a test DNS server). */
export async function startConsole(
  request: APIRequestContext,
  dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-e2e-')),
  env: Record<string, string> = {},
  /** More command-line options (--backend postfix …). */
  args: string[] = [],
): Promise<{ server: ConsoleServer; child: ChildProcess }> {
  // Direct delivery and the DNS checks must never reach out of the machine: DNS is a dead loopback port unless a test gives its own.
  const child = spawn(process.execPath, [join(ROOT, 'src/main/web/cli.ts'), '--port', '0', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    env: { ...process.env, SMTP_CONSOLE_DNS_SERVERS: '127.0.0.1:9', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the console did not start in 20 s:\n${output}`)), 20_000)
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      const m = /SMTP Console: (\S+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.once('exit', (code) => reject(new Error(`the console exited with ${code}:\n${output}`)))
  })
  const parsed = new URL(url)
  const token = parsed.searchParams.get('token')!
  const server: ConsoleServer = {
    url,
    origin: parsed.origin,
    token,
    dataDir,
    async api<T>(method: string, body?: unknown): Promise<T> {
      const res = await request.post(`${parsed.origin}/api/${method}`, { headers: { 'x-smtp-console-token': token }, data: body === undefined ? '' : body })
      const json = (await res.json()) as { ok: boolean; data?: T; error?: unknown }
      if (!json.ok) throw new Error(`${method}: ${JSON.stringify(json.error)}`)
      return json.data as T
    },
  }
  return { server, child }
}

/** Stops it as Ctrl-C does, waiting up to 10 s for the engine to close. */
export async function stopConsole(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
}

export const test = base.extend<{ consoleServer: ConsoleServer }>({
  consoleServer: async ({ request }, use) => {
    const { server, child } = await startConsole(request)
    await use(server)
    await stopConsole(child)
    rmSync(server.dataDir, { recursive: true, force: true })
  },
})

export { expect }
