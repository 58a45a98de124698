import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { callApi, consoleUrl, exitWithin, recordingCommand, ROOT, startNode, type Child } from '../helpers/child.ts'
import { removeDir, tempDir, waitFor } from '../helpers/engine.ts'
import { zipStored } from '../helpers/zip.ts'

// `npm start` (node scripts/start.ts) as a real child process, without an
// Electron binary: a stand-in executable through ELECTRON_EXEC_PATH, and
// downloads that cannot succeed (a closed loopback port, a mirror serving
// the wrong bytes), which must end in the console running for the browser.

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version

function scratch(): string {
  const dir = tempDir('smtp-console-start-')
  cleanups.push(() => removeDir(dir))
  return dir
}

/** A port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * The environment of a fresh clone on this machine: no Electron binary (an empty
 * dist folder even where one is installed), an empty download cache, no mirror
 * settings from an .npmrc, direct delivery pointed at a dead DNS port.
 */
function freshCloneEnv(dir: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(ELECTRON_|npm_config_electron|npm_package_config_electron|electron_)/i.test(key)) continue
    if (/^npm_config_(platform|arch)$/i.test(key)) continue
    // vitest's NODE_ENV=test would make the builds development builds; an admin's shell has none.
    if (key === 'NODE_ENV' || key.startsWith('VITEST')) continue
    env[key] = value
  }
  for (const sub of ['cache', 'dist', 'data']) mkdirSync(join(dir, sub))
  return {
    ...env,
    electron_config_cache: join(dir, 'cache'),
    ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'dist'),
    SMTP_CONSOLE_DATA_DIR: join(dir, 'data'),
    SMTP_CONSOLE_DNS_SERVERS: '127.0.0.1:9',
    ...extra,
  }
}

function start(env: NodeJS.ProcessEnv, args: string[] = [], cwd = ROOT): Child {
  const child = startNode([join(cwd, 'scripts', 'start.ts'), ...args], { env, cwd })
  cleanups.push(() => child.stop())
  return child
}

/** Runs `npm start` until the browser console answers, and checks what it said and opened. */
async function expectBrowserConsole(child: Child, opened: string) {
  const url = await consoleUrl(child, 60_000)
  expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  const status = await callApi(url, 'status.get')
  expect(status.status).toBe(200)
  expect(status.json).toMatchObject({ ok: true, data: { mode: expect.any(String) } })
  // The default browser was handed the same address (DISPLAY is set, xdg-open is the stand-in).
  const record = await waitFor(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : ''), 'the browser opener to run')
  expect(record.split('\n').filter((l) => l.startsWith('arg='))).toEqual([`arg=${url.href}`])
  const err = child.stderr()
  expect(err).not.toMatch(/^\s+at /m)
  const paragraph = err.slice(err.indexOf('SMTP Console could not start'), err.indexOf('Data directory:'))
  expect(paragraph).toContain(`Electron ${electronVersion} could not be downloaded`)
  expect(paragraph).toContain('ELECTRON_MIRROR')
  expect(paragraph).toContain('npm run package')
  expect(paragraph).toContain('runs in the browser')
  expect(paragraph.trim().split('\n').length, paragraph).toBeLessThanOrEqual(5)
  return { url, paragraph }
}

/**
 * A copy of the project whose node_modules/electron is its own folder (the rest
 * linked to this one's): there a download can unpack a binary without touching
 * the Electron this checkout may have.
 */
function projectCopy(dir: string): string {
  const copy = join(dir, 'project')
  mkdirSync(join(copy, 'scripts'), { recursive: true })
  for (const file of ['package.json', 'electron.vite.config.ts', 'tsconfig.json', 'scripts/start.ts']) cpSync(join(ROOT, file), join(copy, file))
  symlinkSync(join(ROOT, 'src'), join(copy, 'src'))
  mkdirSync(join(copy, 'node_modules'))
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'electron' || name === '.vite') continue
    symlinkSync(join(ROOT, 'node_modules', name), join(copy, 'node_modules', name))
  }
  cpSync(join(ROOT, 'node_modules', 'electron'), join(copy, 'node_modules', 'electron'), {
    recursive: true,
    filter: (src) => !/[\\/]electron[\\/](dist|path\.txt)$/.test(src),
  })
  return copy
}

describe('npm start', () => {
  it('is scripts/start.ts on the project\'s Node', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.start).toBe('node scripts/start.ts')
  })

  it('without a binary: downloads it from ELECTRON_MIRROR with progress, unpacks it once, builds the app and opens it', async () => {
    const dir = scratch()
    const project = projectCopy(dir)
    const record = join(dir, 'launched.txt')
    const standIn = `#!/bin/sh\n{ printf 'cwd=%s\\n' "$PWD"; for a in "$@"; do printf 'arg=%s\\n' "$a"; done; [ -f out/main/index.js ] && printf 'built=yes\\n'; } >> '${record}'\nexit 0\n`
    const platform = process.platform
    const zipName = `electron-v${electronVersion}-${platform}-${process.arch}.zip`
    const zip = zipStored([
      { name: 'electron', data: Buffer.from(standIn), mode: 0o755 },
      { name: 'version', data: Buffer.from(electronVersion) },
      // Enough bytes for the progress to have steps.
      { name: 'resources/padding.bin', data: Buffer.alloc(3 * 1024 * 1024, 1) },
    ])
    const sums = `${createHash('sha256').update(zip).digest('hex')} *${zipName}\n`
    const requests: string[] = []
    const mirror: Server = createServer((req, res) => {
      requests.push(req.url ?? '')
      const body = req.url === `/v${electronVersion}/${zipName}` ? zip : req.url === `/v${electronVersion}/SHASUMS256.txt` ? Buffer.from(sums) : undefined
      if (!body) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-length': body.length }).end(body)
    })
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => mirror.close(resolve)))
    const env = freshCloneEnv(dir, {
      ELECTRON_MIRROR: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`,
      // The stand-in zip is not in Electron's checksums.json: check it against the mirror's SHASUMS256.txt.
      electron_use_remote_checksums: '1',
    })
    delete env.ELECTRON_OVERRIDE_DIST_PATH
    const child = start(env, ['--data-dir', join(dir, 'data')], project)
    expect(await exitWithin(child, 'npm start with a downloaded stand-in', 90_000), child.stderr()).toBe(0)

    // The zip crossed the network once: install.js found it in the cache and only unpacked it.
    expect(requests.filter((r) => r.endsWith('.zip'))).toEqual([`/v${electronVersion}/${zipName}`])
    expect(readFileSync(join(project, 'node_modules', 'electron', 'path.txt'), 'utf8')).toBe('electron')
    const progress = child.stderr().split('\n').filter((l) => l.startsWith(`Downloading Electron ${electronVersion}`))
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.at(-1)).toMatch(/: 100% \(3\.0 of 3\.0 MB\)$/)
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([`cwd=${project}`, 'arg=.', 'arg=--data-dir', `arg=${join(dir, 'data')}`, 'built=yes'])
    // The downloaded binary is the one used from now on: a second start downloads nothing.
    const again = start(env, [], project)
    expect(await exitWithin(again, 'npm start with the binary in place', 90_000), again.stderr()).toBe(0)
    expect(again.stderr()).not.toContain('Downloading')
    expect(requests.filter((r) => r.endsWith('.zip'))).toHaveLength(1)
  }, 120_000)

  it('with ELECTRON_EXEC_PATH: builds the app, then launches that executable with the built main and the arguments given', async () => {
    const dir = scratch()
    const record = join(dir, 'launched.txt')
    const standIn = recordingCommand(dir, 'electron', record, `[ -f out/main/index.js ] && printf 'built=yes\\n';`)
    // A copy of the project, so the build is this run's and the checkout's out/ is left alone.
    const project = projectCopy(dir)
    const port = await closedPort()
    const child = start(freshCloneEnv(dir, { ELECTRON_EXEC_PATH: standIn, ELECTRON_MIRROR: `http://127.0.0.1:${port}/` }), ['--data-dir', join(dir, 'data')], project)
    expect(await exitWithin(child, 'npm start with the stand-in', 60_000)).toBe(0)
    const lines = readFileSync(record, 'utf8').trim().split('\n')
    // Electron gets the project folder and reads package.json's main from it, as electron-vite preview does.
    expect(lines).toEqual([`cwd=${project}`, 'arg=.', 'arg=--data-dir', `arg=${join(dir, 'data')}`, 'built=yes'])
    const main = (JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { main: string }).main
    expect(main).toBe('out/main/index.js')
    expect(readFileSync(join(project, main), 'utf8')).toMatch(/from ["']electron["']/)
    expect(child.stderr()).not.toContain('Downloading')
  })

  it('with an ELECTRON_EXEC_PATH that is not a file: one line naming it, exit 1, nothing downloaded', async () => {
    const dir = scratch()
    const missing = join(dir, 'no-such-electron')
    const child = start(freshCloneEnv(dir, { ELECTRON_EXEC_PATH: missing }))
    expect(await exitWithin(child, 'npm start with a wrong ELECTRON_EXEC_PATH', 30_000)).toBe(1)
    expect(child.stderr().trim().split('\n')).toEqual([
      `ELECTRON_EXEC_PATH is ${missing}, which is not an executable file: correct it, or unset it to use (or download) Electron from node_modules.`,
    ])
    expect(readdirSync(join(dir, 'cache'))).toEqual([])
  })

  it('without a binary and with the download refused (a closed port): says so, then the console runs in the browser', async () => {
    const dir = scratch()
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const opened = join(dir, 'opened.txt')
    recordingCommand(bin, 'xdg-open', opened)
    const port = await closedPort()
    const mirror = `http://127.0.0.1:${port}/`
    const child = start(freshCloneEnv(dir, { ELECTRON_MIRROR: mirror, PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':0' }))
    const { paragraph } = await expectBrowserConsole(child, opened)
    expect(paragraph).toContain(`from ${mirror}: connect ECONNREFUSED 127.0.0.1:${port}.`)
    expect(readdirSync(join(dir, 'cache'))).toEqual([])
    expect(await child.stop()).toBe(0)
  })

  it('downloads from ELECTRON_MIRROR with progress; a zip that fails its checksum is refused and the console runs in the browser', async () => {
    const dir = scratch()
    const requests: string[] = []
    const size = 3 * 1024 * 1024
    const mirror: Server = createServer((req, res) => {
      requests.push(req.url ?? '')
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': size })
      res.end(Buffer.alloc(size, 0x5a))
    })
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => mirror.close(resolve)))
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const opened = join(dir, 'opened.txt')
    recordingCommand(bin, 'xdg-open', opened)
    const base = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`
    const zipName = `electron-v${electronVersion}-${process.platform}-${process.arch}.zip`
    const child = start(freshCloneEnv(dir, { ELECTRON_MIRROR: base, PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':0' }))
    const { paragraph } = await expectBrowserConsole(child, opened)
    expect(requests).toEqual([`/v${electronVersion}/${zipName}`])
    // Not a terminal: one progress line per tenth, ending at 100%.
    const progress = child.stderr().split('\n').filter((l) => l.startsWith(`Downloading Electron ${electronVersion}`))
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.at(-1)).toMatch(/: 100% \(3\.0 of 3\.0 MB\)$/)
    expect(paragraph).toMatch(new RegExp(`from ${base}: Generated checksum for "${zipName}" did not match`))
    // A refused zip is not kept for next time.
    expect(readdirSync(join(dir, 'cache'))).toEqual([])
    expect(await child.stop()).toBe(0)
  })
})
