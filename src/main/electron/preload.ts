import { contextBridge, ipcRenderer } from 'electron'
import { SYSTEM_PARAM } from '../../shared/wire.ts'
import { buildPreloadApi } from './preload-api.ts'

// Runs sandboxed before the page: exposes the console's API as window.smtpConsole, for the system
// the window's address names (?system=; none is this computer's engine).
/** ?system= of the page's address; a regular expression, as a sandboxed preload may lack URLSearchParams. */
function systemOf(search: string): string | undefined {
  const m = new RegExp(`[?&]${SYSTEM_PARAM}=([^&#]*)`).exec(search)
  return m?.[1] ? decodeURIComponent(m[1]) : undefined
}

contextBridge.exposeInMainWorld(
  'smtpConsole',
  buildPreloadApi(
    (channel, request, system) => ipcRenderer.invoke(channel, request, system),
    (channel, listener) => ipcRenderer.on(channel, listener),
    (channel, listener) => ipcRenderer.removeListener(channel, listener),
    systemOf(window.location.search),
  ),
)
