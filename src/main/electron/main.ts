import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, protocol, safeStorage, session, shell, Tray } from 'electron'
import Store from 'electron-store'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { openEngine } from '../core/engine/engine.ts'
import type { Engine } from '../core/engine/engine-types.ts'
import { KeyFileCipher } from '../core/settings/key-file-cipher.ts'
import { resolveDataDir } from '../core/storage/paths.ts'
import { createDesktopCipher } from './cipher.ts'
import { contentSecurityPolicy, withContentSecurityPolicy } from './csp.ts'
import { ADD_SYSTEM_HASH } from '../../shared/wire.ts'
import { SystemsHub } from '../systems/hub.ts'
import { openPostfixSystem } from '../systems/open-postfix.ts'
import { forwardEvents } from './events.ts'
import { wireDesktopAlerts } from './alerts.ts'
import { registerIpcHandlers } from './ipc.ts'
import { menuTemplate } from './menu.ts'
import { RENDERER_PAGE_URL, RENDERER_SCHEME, RENDERER_SCHEME_PRIVILEGES, rendererResponse } from './renderer-scheme.ts'
import { createTestMailWatcher } from './test-mail-watcher.ts'
import { createMainWindow } from './window.ts'

// The desktop shell: one instance per data directory, the engine opened at
// ready and drained at quit, one window that talks to it over IPC.

const APP_NAME = 'SMTP Console'
/** electron-builder.yml's appId: Windows shows a notification only for the app id its Start menu shortcut carries. */
const APP_USER_MODEL_ID = 'io.smtpconsole.app'
const defaultUserData = app.getPath('userData')
const dataDir = resolveDataDir(process.argv, process.env, defaultUserData)
// Chromium's profile and the single-instance lock follow the data directory,
// so two consoles on two data directories can run side by side (as tests do).
if (dataDir !== defaultUserData) app.setPath('userData', dataDir)

const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
const rendererRoot = join(import.meta.dirname, '../renderer')
const appUrl = devServerUrl ?? RENDERER_PAGE_URL
const preloadPath = join(import.meta.dirname, '../preload/preload.cjs')
// Built beside this file from src/main/core/listener/listener-thread.ts (electron.vite.config.ts): local submission's sessions run there.
const listenerThread = pathToFileURL(join(import.meta.dirname, 'listener-thread.js'))
const iconPath = join(app.getAppPath(), 'assets', 'icon.png')

let window: BrowserWindow | null = null
let engineStarting: Promise<Engine | null> | null = null
/** Every system the window can show: this computer's engine and the Postfix servers added. */
let hub: SystemsHub | null = null
let closing = false
/** A launch arrived while closing: start again once closed. */
let relaunchWhenClosed = false
let exitCode = 0

app.enableSandbox()
// Privileges are fixed when Chromium starts, so before ready; the handler comes with the session.
protocol.registerSchemesAsPrivileged([{ scheme: RENDERER_SCHEME, privileges: { ...RENDERER_SCHEME_PRIVILEGES } }])

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID)
  app.on('second-instance', () => {
    if (closing) {
      // The relaunch found this instance still finishing deliveries: say so, and open again once done.
      if (!relaunchWhenClosed) void dialog.showMessageBox({ type: 'info', title: APP_NAME, message: `${APP_NAME} is closing`, detail: 'It is finishing the deliveries in progress, which takes a few seconds at most, and then opens again by itself.' })
      relaunchWhenClosed = true
    } else if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore()
      window.focus()
    } else {
      void engineStarting?.then((engine) => engine && openWindow())
    }
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (!window || window.isDestroyed()) void engineStarting?.then((engine) => engine && openWindow())
  })
  app.on('before-quit', (event) => {
    if (!engineStarting) return
    event.preventDefault()
    if (closing) return
    closing = true
    void engineStarting
      .then(async (engine) => {
        await hub?.close()
        await engine?.close()
      })
      .catch((error: unknown) => console.error('The engine did not close cleanly:', error))
      .finally(() => {
        if (relaunchWhenClosed) app.relaunch()
        app.exit(exitCode)
      })
  })
  void app.whenReady().then(() => {
    engineStarting = start()
  })
}

async function start(): Promise<Engine | null> {
  lockDownSession()
  let engine: Engine
  try {
    const cipher = await createDesktopCipher(safeStorage, { platform: process.platform, keyFile: new KeyFileCipher(dataDir) })
    // The same file the Node side opens with conf: <dataDir>/settings.json, 0600. Made at the first
    // save, so a file it cannot parse opens the console with delivery paused instead of stopping it.
    const settingsBackend = () => new Store<Record<string, unknown>>({ cwd: dataDir, name: 'settings', configFileMode: 0o600 })
    engine = await openEngine({ dataDir, settingsBackend, cipher, listener: { thread: listenerThread } })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    dialog.showErrorBox(`${APP_NAME} cannot start`, `${message}\n\nData folder: ${dataDir}`)
    app.exit(1)
    return null
  }

  const watcher = createTestMailWatcher()
  hub = new SystemsHub({ dataDir, local: engine, openPostfix: openPostfixSystem })
  registerIpcHandlers(
    ipcMain,
    hub,
    () => (window && !window.isDestroyed() ? { webContentsId: window.webContents.id, appUrl } : null),
    (method, result) => watcher.observe(method, result),
    async (suggested) => {
      const options = { defaultPath: join(app.getPath('downloads'), suggested), filters: [{ name: 'CSV', extensions: ['csv'] }] }
      const chosen = window && !window.isDestroyed() ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
      return chosen.canceled || !chosen.filePath ? null : chosen.filePath
    },
  )
  forwardEvents(hub, (channel, payload) => {
    if (window && !window.isDestroyed() && !window.webContents.isDestroyed()) window.webContents.send(channel, payload)
  })
  // Mail trouble as notifications and a count on the dock or tray: they reach the admin when mail cannot.
  wireDesktopAlerts(engine, {
    platform: process.platform,
    app,
    Notification,
    createTray: () => new Tray(existsSync(iconPath) ? nativeImage.createFromPath(iconPath).resize({ width: 16, height: 16 }) : nativeImage.createEmpty()),
    appUserModelId: APP_USER_MODEL_ID,
    appName: APP_NAME,
    openQueue,
  })
  engine.on('delivery.progress', (progress) => {
    const notice = watcher.onProgress(progress)
    if (notice && Notification.isSupported()) new Notification(notice).show()
  })

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        { isPackaged: app.isPackaged, platform: process.platform, appName: APP_NAME },
        { about: showAbout, openDataFolder: () => void shell.openPath(dataDir), addSystem: openAddSystem },
      ),
    ),
  )
  openWindow()
  return engine
}

function openWindow(page = ''): void {
  if (closing) return
  window = createMainWindow({ preloadPath, appUrl: `${appUrl}${page}`, ...(existsSync(iconPath) ? { iconPath } : {}), onLoadFailed: showLoadFailure })
  window.on('closed', () => {
    window = null
  })
}

/** Without its page the console cannot be used: say why and quit (the engine closes, queued mail is kept). */
function showLoadFailure(error: Error): void {
  dialog.showErrorBox(`${APP_NAME} cannot show its window`, `Its page did not load: ${error.message}\n\n${app.isPackaged ? 'Install SMTP Console again.' : 'Build it again (npm start).'} Queued mail is kept in the data folder: ${dataDir}`)
  exitCode = 1
  app.quit()
}

/** An alert was clicked: the window comes forward on the Mail Queue (a change of the page's hash, not a reload). */
function openQueue(): void {
  if (!window || window.isDestroyed()) return openWindow('#/queue')
  if (window.isMinimized()) window.restore()
  window.show()
  window.focus()
  // The window already shows the console: a change of page that fails leaves it on the page it was.
  window.webContents.loadURL(`${appUrl}#/queue`).catch(() => undefined)
}

function lockDownSession(): void {
  const policy = contentSecurityPolicy({ devServer: devServerUrl !== undefined })
  // The built page and its files, from out/renderer only; the policy rides on every answer.
  protocol.handle(RENDERER_SCHEME, (request) => rendererResponse(request, rendererRoot, policy))
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, policy) })
  })
  // The page needs no camera, location or the like; copying a report to the clipboard is the one thing it asks for.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    callback(permission === 'clipboard-sanitized-write')
  })
}

/** File → Add a Postfix Server…: the window's dashboard with its Add dialog open (a same-page hash change, no reload). */
function openAddSystem(): void {
  if (!window || window.isDestroyed()) return openWindow(ADD_SYSTEM_HASH)
  const url = new URL(window.webContents.getURL())
  url.hash = ADD_SYSTEM_HASH
  void window.webContents.loadURL(url.toString())
  window.focus()
}

function showAbout(): void {
  const options = {
    type: 'info' as const,
    title: `About ${APP_NAME}`,
    message: `${APP_NAME} ${app.getVersion()}`,
    detail: `Data folder: ${dataDir}\nElectron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
  }
  void (window && !window.isDestroyed() ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options))
}
