import { createCipheriv, createDecipheriv, randomBytes, createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'

// A stand-in for Electron's main-process API, as much of it as the console's
// main uses, run in a plain Node child by test/helpers/electron-boot.ts. It
// reports what main does (windows, dialogs, keychain use, exit) to the test over
// the child's IPC channel and takes the test's commands (invoke an IPC handler
// as a renderer would, quit, close the window, a second instance…).
// Behaviour follows Electron's documentation: ipcMain refuses a second handler
// for a channel, an unhandled rejection only warns, app.setAppUserModelId exists
// only on Windows, the keychain persists between launches (a directory here).
//
// Set by the test: STANDIN_HOME (paths), STANDIN_KEYCHAIN (available |
// unavailable | basic_text | hang), STANDIN_KEYCHAIN_DIR, STANDIN_KEY_VERSION
// (a rotated key), STANDIN_LOAD (fail: loadURL rejects). The command
// 'click-notification' clicks the newest notification shown.

type Json = Record<string, unknown>
const env = process.env
const home = env.STANDIN_HOME ?? join(process.cwd(), '.standin')

function report(type: string, detail: Json = {}): void {
  process.send?.({ type, ...detail })
}

process.on('unhandledRejection', (reason) => {
  // Electron's main process prints these and runs on; the test sees each one.
  report('unhandled-rejection', { message: reason instanceof Error ? reason.message : String(reason) })
})
process.on('uncaughtException', (error) => {
  report('uncaught-exception', { message: error.message })
})

// ---- app ----------------------------------------------------------------

interface QuitEvent {
  defaultPrevented: boolean
  preventDefault(): void
}

function quitEvent(): QuitEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true
    },
  }
}

class App extends EventEmitter {
  readonly isPackaged = env.STANDIN_PACKAGED === '1'
  private readonly paths = new Map<string, string>()
  private readonly ready: Promise<void>
  private isReadyNow = false
  private exiting = false
  constructor() {
    super()
    // Electron is ready once the main script has run.
    this.ready = new Promise((resolve) =>
      setImmediate(() => {
        this.isReadyNow = true
        this.emit('ready')
        report('ready')
        resolve()
      }),
    )
    if (process.platform === 'win32') {
      Object.assign(this, {
        setAppUserModelId: (id: string) => report('app-user-model-id', { id }),
      })
    }
  }
  whenReady(): Promise<void> {
    return this.ready
  }
  isReady(): boolean {
    return this.isReadyNow
  }
  getPath(name: string): string {
    return this.paths.get(name) ?? join(home, name)
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path)
  }
  getAppPath(): string {
    return env.STANDIN_APP_PATH ?? process.cwd()
  }
  getVersion(): string {
    return '0.0.0-standin'
  }
  getName(): string {
    return 'SMTP Console'
  }
  /** The dock or launcher badge: taken here, as on macOS and Unity. */
  setBadgeCount(count?: number): boolean {
    report('badge', { count: count ?? 0 })
    return true
  }
  enableSandbox(): void {
    report('enable-sandbox')
  }
  requestSingleInstanceLock(): boolean {
    return singleInstanceLock(this.getPath('userData'))
  }
  relaunch(options?: Json): void {
    report('relaunch', { options: options ?? null })
  }
  quit(): void {
    if (this.exiting) return
    const event = quitEvent()
    this.emit('before-quit', event)
    if (event.defaultPrevented) {
      report('quit-deferred')
      return
    }
    for (const window of [...windows]) window.destroy(false)
    const willQuit = quitEvent()
    this.emit('will-quit', willQuit)
    if (!willQuit.defaultPrevented) this.exit(0)
  }
  exit(code = 0): void {
    if (this.exiting) return
    this.exiting = true
    report('exit', { code })
    // The report goes out before the process does.
    if (process.send) process.send({ type: 'exited' }, () => process.exit(code))
    else process.exit(code)
  }
}

/** The lock Chromium keeps in the profile directory: here a file holding the holder's pid. */
function singleInstanceLock(userData: string): boolean {
  const file = join(userData, 'SingletonLock.standin')
  mkdirSync(userData, { recursive: true, mode: 0o700 })
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      process.on('exit', () => rmSync(file, { force: true }))
      return true
    } catch {
      const holder = Number(readFileSync(file, 'utf8'))
      if (holder && alive(holder)) {
        // Electron would tell the holder (its 'second-instance' event); the test forwards this.
        report('second-instance-sent', { to: holder, argv: process.argv })
        return false
      }
      rmSync(file, { force: true })
    }
  }
  return false
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export const app = new App()

// ---- windows ------------------------------------------------------------

class Session extends EventEmitter {
  readonly webRequest = {
    onHeadersReceived: (_listener: unknown) => report('session-headers-hook'),
  }
  setPermissionRequestHandler(_handler: unknown): void {
    report('session-permission-handler')
  }
}

export const session = { defaultSession: new Session() }

let nextContentsId = 1
const windows = new Set<BrowserWindow>()

class WebContents extends EventEmitter {
  readonly id = nextContentsId++
  readonly session = session.defaultSession
  destroyed = false
  setWindowOpenHandler(_handler: unknown): void {}
  send(channel: string): void {
    report('send', { channel })
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  async loadURL(url: string): Promise<void> {
    report('load', { url, webContentsId: this.id })
    await new Promise((resolve) => setImmediate(resolve))
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows(): BrowserWindow[] {
    return [...windows]
  }
  readonly webContents = new WebContents()
  private destroyed = false
  private visible = false
  constructor(options: { show?: boolean; webPreferences?: Json; [key: string]: unknown }) {
    super()
    windows.add(this)
    report('window', { webContentsId: this.webContents.id, show: options.show ?? true, webPreferences: options.webPreferences ?? {} })
  }
  async loadURL(url: string): Promise<void> {
    report('load', { url })
    await new Promise((resolve) => setImmediate(resolve))
    if (env.STANDIN_LOAD === 'fail') {
      throw Object.assign(new Error(`ERR_FILE_NOT_FOUND (-6) loading '${url}'`), { code: 'ERR_FILE_NOT_FOUND', errno: -6, url })
    }
    if (!this.destroyed) this.emit('ready-to-show')
  }
  show(): void {
    this.visible = true
    report('show', { webContentsId: this.webContents.id })
  }
  isVisible(): boolean {
    return this.visible
  }
  focus(): void {
    report('focus', { webContentsId: this.webContents.id })
  }
  isMinimized(): boolean {
    return false
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.destroyed
  }
  close(): void {
    this.destroy()
  }
  /** As closing the last window does in Electron: 'closed', then 'window-all-closed' unless the app is quitting. */
  destroy(allClosedEvent = true): void {
    if (this.destroyed) return
    this.destroyed = true
    this.webContents.destroyed = true
    windows.delete(this)
    this.emit('closed')
    report('closed', { webContentsId: this.webContents.id })
    if (allClosedEvent && windows.size === 0) app.emit('window-all-closed')
  }
}

// ---- IPC ----------------------------------------------------------------

type Handler = (event: unknown, ...args: unknown[]) => unknown
const handlers = new Map<string, Handler>()

class IpcMain extends EventEmitter {
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    handlers.set(channel, handler)
  }
  handleOnce(channel: string, handler: Handler): void {
    this.handle(channel, (...args) => {
      handlers.delete(channel)
      return handler(...args)
    })
  }
  removeHandler(channel: string): void {
    handlers.delete(channel)
  }
}

export const ipcMain = new IpcMain()

// ---- protocol -----------------------------------------------------------

const protocolHandlers = new Map<string, unknown>()
export const protocol = {
  registerSchemesAsPrivileged(schemes: { scheme: string }[]): void {
    report('privileged-schemes', { schemes: schemes.map((s) => s.scheme) })
  },
  handle(scheme: string, handler: unknown): void {
    protocolHandlers.set(scheme, handler)
  },
  unhandle(scheme: string): void {
    protocolHandlers.delete(scheme)
  },
  isProtocolHandled(scheme: string): boolean {
    return protocolHandlers.has(scheme)
  },
}

// ---- safeStorage: a keychain kept in a directory, AES-256-GCM under versioned keys ----

const keychainMode = env.STANDIN_KEYCHAIN ?? 'available'
const keychainDir = env.STANDIN_KEYCHAIN_DIR ?? join(home, 'keychain')
const keyVersion = Number(env.STANDIN_KEY_VERSION ?? 1)
const never = new Promise<never>(() => {})

function keyOf(version: number): Buffer {
  // Linux's basic_text store encrypts with a key written in Chromium's source.
  if (keychainMode === 'basic_text') return createHash('sha256').update('peanuts').digest()
  const file = join(keychainDir, `key-v${version}`)
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, randomBytes(32))
  }
  return readFileSync(file)
}

function usable(): Promise<void> {
  if (keychainMode === 'hang') return never
  if (keychainMode === 'unavailable') return Promise.reject(new Error('Encryption is not available.'))
  return Promise.resolve()
}

export const safeStorage = {
  async isAsyncEncryptionAvailable(): Promise<boolean> {
    if (keychainMode === 'hang') return never
    return keychainMode !== 'unavailable'
  },
  isEncryptionAvailable(): boolean {
    return keychainMode === 'available' || keychainMode === 'basic_text'
  },
  getSelectedStorageBackend(): string {
    if (process.platform !== 'linux') return 'unknown'
    return keychainMode === 'basic_text' ? 'basic_text' : 'gnome_libsecret'
  },
  async encryptStringAsync(plain: string): Promise<Buffer> {
    await usable()
    report('keychain', { op: 'encrypt', version: keyVersion })
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', keyOf(keyVersion), iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return Buffer.concat([Buffer.from([keyVersion]), iv, cipher.getAuthTag(), body])
  },
  async decryptStringAsync(sealed: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    await usable()
    const version = sealed[0]!
    report('keychain', { op: 'decrypt', version })
    const decipher = createDecipheriv('aes-256-gcm', keyOf(version), sealed.subarray(1, 13))
    decipher.setAuthTag(sealed.subarray(13, 29))
    const result = Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8')
    return { result, shouldReEncrypt: version < keyVersion }
  },
}

// ---- dialogs, menus, shell, notifications -------------------------------

export const dialog = {
  showErrorBox(title: string, content: string): void {
    report('error-box', { title, content })
  },
  async showMessageBox(...args: unknown[]): Promise<{ response: number; checkboxChecked: boolean }> {
    const options = (args.length > 1 ? args[1] : args[0]) as Json
    report('message-box', { title: options.title, message: options.message, detail: options.detail })
    return { response: 0, checkboxChecked: false }
  },
  async showSaveDialog(): Promise<{ canceled: boolean; filePath?: string }> {
    return { canceled: true }
  },
  async showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    return { canceled: true, filePaths: [] }
  },
}

export const Menu = {
  buildFromTemplate(template: unknown[]): { items: unknown[] } {
    return { items: template }
  },
  setApplicationMenu(menu: { items: unknown[] } | null): void {
    report('menu', { items: menu?.items.length ?? 0 })
  },
}

export const shell = {
  async openPath(path: string): Promise<string> {
    report('open-path', { path })
    return ''
  },
  async openExternal(url: string): Promise<void> {
    report('open-external', { url })
  },
}

export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return true
  }
  private readonly options: Json
  constructor(options: Json) {
    super()
    this.options = options
  }
  show(): void {
    shown.push(this)
    report('notification', { title: this.options.title, body: this.options.body })
  }
}

/** Notifications shown, newest last: the test's 'click-notification' clicks the newest. */
const shown: Notification[] = []

/** The tray icon, where the dock badge is not available: it says what it is told. */
export class Tray extends EventEmitter {
  constructor(_image: unknown) {
    super()
    report('tray', {})
  }
  setToolTip(toolTip: string): void {
    report('tray-tooltip', { toolTip })
  }
  setTitle(title: string): void {
    report('tray-title', { title })
  }
  destroy(): void {
    report('tray-destroyed', {})
  }
}

/** Images are never drawn here: a path is kept, and resizing gives the same image. */
class NativeImage {
  readonly path: string | null
  constructor(path: string | null) {
    this.path = path
  }
  resize(_size: { width: number; height: number }): NativeImage {
    return this
  }
}

export const nativeImage = {
  createFromPath: (path: string) => new NativeImage(path),
  createEmpty: () => new NativeImage(null),
}

export const nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: false, themeSource: 'system' })

// ---- the test's commands ------------------------------------------------

interface Command {
  id: number
  cmd: string
  args?: Json
}

async function run(command: Command): Promise<unknown> {
  const args = command.args ?? {}
  switch (command.cmd) {
    case 'invoke': {
      // As a renderer's ipcRenderer.invoke arrives: the sender's webContents and frame.
      const handler = handlers.get(args.channel as string)
      if (!handler) throw new Error(`No handler registered for '${String(args.channel)}'`)
      const frameUrl = args.frameUrl as string | null
      const event = { sender: { id: args.webContentsId }, senderFrame: frameUrl === null ? null : { url: frameUrl, parent: args.isMainFrame === false ? {} : null } }
      return await handler(event, args.request)
    }
    case 'handlers':
      return [...handlers.keys()]
    case 'listeners':
      return session.defaultSession.listenerCount(args.event as string)
    case 'windows':
      return [...windows].map((w) => ({ webContentsId: w.webContents.id, visible: w.isVisible() }))
    case 'close-window':
      for (const window of [...windows]) window.destroy()
      return null
    case 'activate':
      app.emit('activate', {}, windows.size > 0)
      return null
    case 'second-instance':
      app.emit('second-instance', {}, args.argv ?? [], process.cwd(), null)
      return null
    case 'quit':
      app.quit()
      return null
    case 'click-notification': {
      const newest = shown.at(-1)
      if (!newest) throw new Error('No notification has been shown')
      newest.emit('click', {})
      return null
    }
    default:
      throw new Error(`Unknown command ${command.cmd}`)
  }
}

process.on('message', (message: Command) => {
  run(message).then(
    (value) => process.send?.({ type: 'reply', id: message.id, value }),
    (error: unknown) => process.send?.({ type: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) }),
  )
})

const electron = { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, protocol, safeStorage, session, shell, Tray }
export default electron
