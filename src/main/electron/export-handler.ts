import { parseRequest, type LogExportResult, type Result } from '../../shared/api.ts'
import type { LogExportRequest } from '../../shared/api.ts'
import { saveCsv, type LogCsvExport } from '../core/logs/log-export.ts'
import { systemArg, type IpcHandler } from './ipc-handler.ts'

// Export CSV in the desktop app: the admin picks a file in a save dialog,
// then the export streams into it (core/logs/log-export.ts). No Electron here: the
// dialog comes in as `chooseFile`, so this is tested with a real engine.

/** Asks where to save `suggested`; null when the admin cancels. */
export type ChooseFile = (suggested: string) => Promise<string | null>

export function makeExportHandler<Event>(
  engine: { exportCsv(request: LogExportRequest, system?: string): LogCsvExport | Promise<LogCsvExport> },
  isTrusted: (event: Event) => boolean,
  chooseFile: ChooseFile,
): IpcHandler<Event> {
  return async (event, raw, system): Promise<Result<LogExportResult>> => {
    if (!isTrusted(event)) {
      return { ok: false, error: { code: 'forbidden', message: "The call to logs.exportCsv did not come from the console's window and was refused." } }
    }
    const parsed = parseRequest('logs.exportCsv', raw)
    if (!parsed.ok) return parsed
    let exp: LogCsvExport
    try {
      exp = await engine.exportCsv(parsed.data, systemArg(system))
    } catch (error) {
      return { ok: false, error: { code: 'internal', message: (error as Error).message } }
    }
    let file: string | null
    try {
      file = await chooseFile(exp.filename)
    } catch (error) {
      return { ok: false, error: { code: 'internal', message: `The save dialog failed: ${(error as Error).message}` } }
    }
    if (!file) return { ok: true, data: { kind: 'cancelled' } }
    try {
      const rows = await saveCsv(exp, file)
      return { ok: true, data: { kind: 'saved', filename: exp.filename, file, rows } }
    } catch (error) {
      return {
        ok: false,
        error: { code: 'storage', message: `${file} could not be written (${(error as Error).message}). Nothing was saved; choose another folder.` },
      }
    }
  }
}
