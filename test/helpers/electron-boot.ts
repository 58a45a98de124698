import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { build as viteBuild, type InlineConfig } from 'vite'
import { MainConfigFactory } from 'electron-vite'
import { afterAll, afterEach, beforeAll } from 'vitest'
import config from '../../electron.vite.config.ts'
import { removeDir, tempDir, testSettings } from './engine.ts'
import { startSmtp, type TestSmtp } from './smtp.ts'
import { selfSignedCert } from './tls.ts'

// Builds the desktop shell's main process with the project's electron-vite
// config and boots the built out/main/index.js in a Node child whose 'electron'
// is the stand-in (test/electron/stand-in). The test drives it as Electron and a
// renderer would and reads what it reported.

const ROOT = resolve(import.meta.dirname, '../..')
const HOOKS = join(ROOT, 'test/electron/stand-in/hooks.ts')

export interface BuiltMain {
  /** The directory holding out/main/index.js, laid out as the project's out/. */
  root: string
  entry: string
  remove(): void
}

/** out/main/index.js in a temp directory; its bare imports resolve to the project's node_modules. */
export async function buildMain(): Promise<BuiltMain> {
  const root = mkdtempSync(join(tmpdir(), 'smtp-console-main-'))
  const outDir = join(root, 'out/main')
  const main = structuredClone({ ...config.main, plugins: [] })
  main.build = { ...main.build, outDir }
  const factory = new MainConfigFactory(main, { configFile: false, logLevel: 'silent', mode: 'production' }, { root: ROOT })
  const resolved = (await factory.build()) as InlineConfig
  await viteBuild({ ...resolved, configFile: false, logLevel: 'silent' })
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', main: 'out/main/index.js' }))
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  return { root, entry: join(outDir, 'index.js'), remove: () => rmSync(root, { recursive: true, force: true }) }
}

export interface Report {
  type: string
  [key: string]: unknown
}

export interface BootOptions {
  dataDir: string
  /** Where the stand-in keeps its paths and, unless keychainDir is given, its keychain. */
  home: string
  keychain?: 'available' | 'unavailable' | 'basic_text' | 'hang'
  keychainDir?: string
  /** The keychain's current key; a higher one than sealed a secret makes safeStorage ask for re-encryption. */
  keyVersion?: number
  platform?: NodeJS.Platform
  load?: 'ok' | 'fail'
}

export interface BootedShell {
  child: ChildProcess
  dataDir: string
  reports: Report[]
  /** Resolves with the first report (past or future) that matches. */
  next(type: string, match?: (report: Report) => boolean, timeoutMs?: number): Promise<Report>
  command<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>
  /** Invokes an API method as the console's window would. */
  invoke<T = unknown>(channel: string, request?: unknown, sender?: { webContentsId?: number; frameUrl?: string | null; isMainFrame?: boolean }): Promise<T>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr(): string
  /** The window's webContents id and page, once the window exists. */
  window(): Promise<{ webContentsId: number; url: string }>
  kill(): void
}

export function bootShell(main: BuiltMain, options: BootOptions): BootedShell {
  const child = fork(main.entry, ['--data-dir', options.dataDir], {
    cwd: main.root,
    execArgv: ['--import', HOOKS, '--no-warnings'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...withoutDevServer(process.env),
      STANDIN_PACKAGED: '1',
      STANDIN_HOME: options.home,
      STANDIN_APP_PATH: ROOT,
      STANDIN_KEYCHAIN: options.keychain ?? 'available',
      STANDIN_KEYCHAIN_DIR: options.keychainDir ?? join(options.home, 'keychain'),
      STANDIN_KEY_VERSION: String(options.keyVersion ?? 1),
      STANDIN_PLATFORM: options.platform ?? 'linux',
      STANDIN_LOAD: options.load ?? 'ok',
    },
  })
  const reports: Report[] = []
  const waiters: { type: string; match: (r: Report) => boolean; resolve: (r: Report) => void }[] = []
  const replies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let errText = ''
  child.stdout!.on('data', () => {})
  child.stderr!.on('data', (chunk: Buffer) => (errText += chunk.toString()))
  child.on('message', (message: Report) => {
    if (message.type === 'reply') {
      const pending = replies.get(message.id as number)
      replies.delete(message.id as number)
      if (message.error !== undefined) pending?.reject(new Error(String(message.error)))
      else pending?.resolve(message.value)
      return
    }
    reports.push(message)
    for (const w of [...waiters]) {
      if (w.type === message.type && w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(message)
      }
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })))
  let seq = 0

  const next = (type: string, match: (r: Report) => boolean = () => true, timeoutMs = 20_000): Promise<Report> => {
    const seen = reports.find((r) => r.type === type && match(r))
    if (seen) return Promise.resolve(seen)
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' report within ${timeoutMs} ms; got: ${reports.map((r) => r.type).join(', ')}\n${errText}`)), timeoutMs)
      const waiter = {
        type,
        match,
        resolve: (r: Report) => {
          clearTimeout(timer)
          resolvePromise(r)
        },
      }
      waiters.push(waiter)
      void exited.then(() => {
        if (!waiters.includes(waiter)) return
        clearTimeout(timer)
        reject(new Error(`the shell exited before a '${type}' report; got: ${reports.map((r) => r.type).join(', ')}\n${errText}`))
      })
    })
  }

  const command = <T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolvePromise, reject) => {
      const id = ++seq
      replies.set(id, { resolve: (v) => resolvePromise(v as T), reject })
      child.send({ id, cmd, args })
    })

  const window = async () => {
    const made = await next('window')
    const load = await next('load')
    return { webContentsId: made.webContentsId as number, url: load.url as string }
  }

  const invoke = async <T>(channel: string, request?: unknown, sender: { webContentsId?: number; frameUrl?: string | null; isMainFrame?: boolean } = {}): Promise<T> => {
    const w = await window()
    return command<T>('invoke', {
      channel,
      request,
      webContentsId: sender.webContentsId ?? w.webContentsId,
      frameUrl: sender.frameUrl === undefined ? w.url : sender.frameUrl,
      isMainFrame: sender.isMainFrame ?? true,
    })
  }

  return {
    child,
    dataDir: options.dataDir,
    reports,
    next,
    command,
    invoke,
    exited,
    stderr: () => errText,
    window,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** The environment without a dev server's URL, so the shell shows its built page as an installed app does. */
function withoutDevServer(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ELECTRON_RENDERER_URL: _, ...rest } = env
  return rest
}

export interface ShellFixture {
  readonly main: BuiltMain
  /** Boots the built main; home and dataDir are fresh temp directories unless given (a later launch on the same data). */
  boot(options?: Partial<BootOptions>): BootedShell
  /** A fresh home for launches that share a data directory and keychain. */
  home(): { home: string; dataDir: string }
  /** Runs after the test, latest first. */
  later(cleanup: () => unknown): void
}

/** Builds main once for the file; kills every shell a test left running and removes its directories. */
export function useShells(): ShellFixture {
  let main: BuiltMain | null = null
  const cleanups: (() => unknown)[] = []
  beforeAll(async () => {
    main = await buildMain()
  }, 60_000)
  afterAll(() => main?.remove())
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })
  const home = () => {
    const dir = tempDir('smtp-console-boot-')
    cleanups.push(() => removeDir(dir))
    return { home: dir, dataDir: join(dir, 'data') }
  }
  return {
    get main() {
      if (!main) throw new Error('the main process is not built yet')
      return main
    },
    boot(options = {}) {
      const shell = bootShell(this.main, { ...home(), ...options })
      cleanups.push(() => shell.kill())
      return shell
    },
    home,
    later: (cleanup) => cleanups.push(cleanup),
  }
}

/** The message of the event log's last row: 'SMTP Console engine stopped' after a clean quit. */
export function lastEvent(dataDir: string): string | undefined {
  const db = new DatabaseSync(join(dataDir, 'queue.sqlite'), { readOnly: true })
  try {
    return (db.prepare('SELECT message FROM events ORDER BY id DESC LIMIT 1').get() as { message: string } | undefined)?.message
  } finally {
    db.close()
  }
}

export const RELAY_USER = 'relayuser'
export const RELAY_PASSWORD = 's3cret pass'

/** A relay on loopback that takes STARTTLS and wants SASL: relayuser / s3cret pass. */
export async function startSaslRelay(shells: ShellFixture): Promise<TestSmtp> {
  const server = await startSmtp({ tls: 'starttls', auth: { user: RELAY_USER, pass: RELAY_PASSWORD } })
  shells.later(() => server.close())
  return server
}

/** Settings that send through that relay with Use SASL Authorization on. */
export const saslSettings = (server: TestSmtp) =>
  testSettings({ relayHost: 'localhost', relayPort: server.port, useTls: true, useSasl: true, username: RELAY_USER, caPem: selfSignedCert().cert })
