import type { ConsoleApi } from '../../shared/api.ts'
import { SYSTEM_PARAM } from '../../shared/wire.ts'
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
  return createWebApi({ token: takeToken(win), system: currentSystem(win) })
}

/** The system this window shows: its address's ?system=, or undefined for this computer's engine. */
export function currentSystem(win: Pick<Window, 'location'> = window): string | undefined {
  return new URL(win.location.href).searchParams.get(SYSTEM_PARAM) || undefined
}

/** Opens another system in this window, on the same page: every store starts again from that system. */
export function showSystem(id: string | undefined, win: Pick<Window, 'location'> = window): void {
  const url = new URL(win.location.href)
  if (id) url.searchParams.set(SYSTEM_PARAM, id)
  else url.searchParams.delete(SYSTEM_PARAM)
  win.location.assign(url.toString())
}
