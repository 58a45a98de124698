import { isAppUrl } from './navigation.ts'

// Every IPC call is checked against the window the app created: the right
// webContents, its main frame, showing the console's own page. A frame that
// navigated elsewhere, a subframe, or another webContents gets `forbidden`.

export interface SenderFacts {
  webContentsId: number
  /** Null when the frame is gone (navigated or destroyed) by the time the call arrives. */
  frameUrl: string | null
  isMainFrame: boolean
}

export interface TrustedWindow {
  webContentsId: number
  /** The renderer's URL: the built index.html on smtp-console://app, or the dev server. */
  appUrl: string
}

export function isTrustedSender(sender: SenderFacts, window: TrustedWindow | null): boolean {
  if (!window) return false
  if (sender.webContentsId !== window.webContentsId) return false
  if (!sender.isMainFrame || sender.frameUrl === null) return false
  return isAppUrl(sender.frameUrl, window.appUrl)
}
