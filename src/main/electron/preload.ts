import { contextBridge, ipcRenderer } from 'electron'
import { buildPreloadApi } from './preload-api.ts'

// Runs sandboxed before the page: exposes the console's API as window.smtpConsole.
contextBridge.exposeInMainWorld(
  'smtpConsole',
  buildPreloadApi(
    (channel, request) => ipcRenderer.invoke(channel, request),
    (channel, listener) => ipcRenderer.on(channel, listener),
    (channel, listener) => ipcRenderer.removeListener(channel, listener),
  ),
)
