import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from './engine.ts'

// Real child processes for the command-line tests: their output as it
// comes, their exit, and a bounded stop that takes their children along.

export const ROOT = join(import.meta.dirname, '..', '..')

export interface Child {
  process: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (or 'SIGNAL') once the process has ended. */
  exited: Promise<number | string>
  /** SIGTERM to the whole process group, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>
}

/** Runs `node <args>` on the tests' Node (24), in its own process group. */
export function startNode(args: string[], options: SpawnOptions = {}): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  let ended = false
  void exited.then(() => (ended = true))
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // The group is already gone.
    }
  }
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 10_000) {
      if (!ended) {
        signalGroup('SIGTERM')
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
      // Whatever it started in its group (a browser opener, say) goes too.
      signalGroup('SIGKILL')
      return exited
    },
  }
}

/** The exit code (or signal name), or an error naming `what` if the process runs past `timeoutMs`. */
export async function exitWithin(child: Child, what: string, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${timeoutMs} ms\n${child.stdout()}\n${child.stderr()}`)), timeoutMs)
  })
  try {
    return await Promise.race([child.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Waits for the `SMTP Console: <url>` line and returns the URL. */
export async function consoleUrl(child: Child, timeoutMs = 30_000): Promise<URL> {
  let early = false
  void child.exited.then(() => (early = true))
  const line = await waitFor<string | undefined>(
    () => {
      const m = /^SMTP Console: (\S+)$/m.exec(child.stdout())
      if (m) return m[1]!
      if (early) throw new Error(`exited before printing its address:\n${child.stdout()}\n${child.stderr()}`)
      return undefined
    },
    'the SMTP Console: line',
    timeoutMs,
  )
  return new URL(line)
}

/** Calls the console's API over HTTP with the token from its URL. */
export async function callApi(url: URL, method: string, body?: unknown): Promise<{ status: number; json: { ok: boolean; data?: unknown; error?: unknown } }> {
  const res = await fetch(new URL(`/api/${method}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-smtp-console-token': url.searchParams.get('token') ?? '' },
    body: body === undefined ? '' : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as { ok: boolean } }
}

/** A shell script at `dir/name` that appends its arguments, one a line, to `record`. */
export function recordingCommand(dir: string, name: string, record: string, extra = ''): string {
  const file = join(dir, name)
  writeFileSync(file, `#!/bin/sh\n{ printf 'cwd=%s\\n' "$PWD"; for a in "$@"; do printf 'arg=%s\\n' "$a"; done; ${extra} } >> '${record}'\nexit 0\n`)
  chmodSync(file, 0o755)
  return file
}
