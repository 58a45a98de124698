import { join } from 'node:path'
import { app, BrowserWindow, shell, type Session, type WebContents } from 'electron'
import { externalTarget, isAppUrl } from './navigation.ts'

// The console's one window: sandboxed, isolated, no Node in the page. It
// shows only the renderer's page; links out open in the system's browser.

export interface WindowOptions {
  preloadPath: string
  /** The page to show: the built index.html on smtp-console://app, or the dev server's URL. */
  appUrl: string
  iconPath?: string
  /** The page did not load (a missing or damaged build): the window would never show, so main says so. */
  onLoadFailed(error: Error): void
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'SMTP Console',
    backgroundColor: '#ffffff',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: options.preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  guardNavigation(window.webContents, options.appUrl)
  askWhereToSave(window.webContents)
  window.once('ready-to-show', () => window.show())
  window.loadURL(options.appUrl).catch((error: unknown) => {
    // ERR_ABORTED is a load replaced by another navigation, or a window closed while loading: not a failure.
    if (window.isDestroyed() || (error as { code?: unknown }).code === 'ERR_ABORTED') return
    options.onLoadFailed(error instanceof Error ? error : new Error(String(error)))
  })
  return window
}

/** Keeps a webContents on the console's page; used for every webContents the app creates. */
export function guardNavigation(contents: WebContents, appUrl: string): void {
  const stay = (event: { preventDefault(): void }, url: string): boolean => {
    if (isAppUrl(url, appUrl)) return true
    event.preventDefault()
    return false
  }
  // A clicked link goes to the browser; a redirect the admin did not ask for goes nowhere.
  contents.on('will-navigate', (event) => {
    if (!stay(event, event.url)) openOutside(event.url)
  })
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) stay(event, event.url)
  })
  contents.on('will-redirect', (event) => {
    stay(event, event.url)
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
}

function openOutside(url: string): void {
  const target = externalTarget(url)
  if (target) void shell.openExternal(target)
}

/** Sessions already asking: every window shares the default session, which outlives them. */
const askingSessions = new WeakSet<Session>()

/** A report export arrives as a download: the admin picks where it goes, starting in Documents. */
function askWhereToSave(contents: WebContents): void {
  if (askingSessions.has(contents.session)) return
  askingSessions.add(contents.session)
  contents.session.on('will-download', (_event, item) => {
    const name = item.getFilename()
    const csv = name.toLowerCase().endsWith('.csv')
    item.setSaveDialogOptions({
      title: 'Save the report',
      defaultPath: join(app.getPath('documents'), name),
      filters: [csv ? { name: 'CSV', extensions: ['csv'] } : { name: 'Text', extensions: ['txt'] }, { name: 'All files', extensions: ['*'] }],
    })
  })
}
