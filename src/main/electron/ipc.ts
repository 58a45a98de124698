import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { API_METHODS } from '../../shared/methods.ts'
import type { LogExportRequest } from '../../shared/api.ts'
import type { LogCsvExport } from '../core/logs/log-export.ts'
import { makeExportHandler, type ChooseFile } from './export-handler.ts'
import { makeHandler, type CallsSystems, type ResultObserver } from './ipc-handler.ts'
import { isTrustedSender, type TrustedWindow } from './sender.ts'

// Registers one handler per method of the shared list; the list is the only
// source of channel names, so the preload and main cannot drift apart.

export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  engine: CallsSystems & { exportCsv(request: LogExportRequest, system?: string): LogCsvExport | Promise<LogCsvExport> },
  trustedWindow: () => TrustedWindow | null,
  observe?: ResultObserver,
  /** The save dialog for Export CSV; without it, the export answers a download link as over HTTP. */
  chooseFile?: ChooseFile,
): () => void {
  const isTrusted = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame
    return isTrustedSender(
      { webContentsId: event.sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame.parent === null },
      trustedWindow(),
    )
  }
  for (const method of API_METHODS) {
    ipcMain.handle(method, method === 'logs.exportCsv' && chooseFile ? makeExportHandler(engine, isTrusted, chooseFile) : makeHandler(engine, method, isTrusted, observe))
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(method)
  }
}
