import type { ConsoleApi } from '../../shared/api.ts'
import { createWebApi, takeToken } from './web.ts'

// The renderer never knows which adapter it talks to: the Electron preload
// puts the API on window.smtpConsole; in a browser it is built over HTTP.

declare global {
  interface Window {
    smtpConsole?: ConsoleApi
  }
}

export function pickApi(win: Window = window): ConsoleApi {
  if (win.smtpConsole) return win.smtpConsole
  return createWebApi({ token: takeToken(win) })
}
