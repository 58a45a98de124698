import type { ApiEvents, ApiParsedRequest, ApiResponse, LogExportRequest, Result } from '../../../shared/api.ts'
import type { LogCsvExport } from '../../core/logs/log-export.ts'
import type { DeferralsSinceLastSent } from './health.ts'

// What the Postfix backend asks of its log index: the server's mail log,
// read incrementally into a local SQLite index with the embedded engine's
// Mail Log, Logs and report tables, so paging, search and Today's /
// Yesterday's Report read the same tables at the same speed on both
// backends.

/** The API methods answered from the log index (logs.exportCsv: a one-time link that takeDownload redeems). */
export type LogMethod = 'mailLog.list' | 'events.list' | 'reports.day' | 'reports.export' | 'logs.exportCsv'

/** What the log says last about one message's recipient. */
export interface LoggedOutcome {
  recipient: string
  status: 'sent' | 'deferred' | 'bounced' | 'expired'
  /** The server's words: the relay's reply or Postfix's reason. */
  reply: string
  at: number
}

export interface PostfixLogs {
  /** Reads what the server's log gained since the last call into the index; how many lines it read. */
  catchUp(): Promise<number>
  call<M extends LogMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>>
  exportCsv(request: LogExportRequest): LogCsvExport
  takeDownload(id: string): LogCsvExport | null
  /** When the log last says a message was sent, or null. */
  lastDeliveryAt(): number | null
  /** The deferrals logged since the last delivery, with their causes: where the delivery health comes from. */
  deferralsSinceLastSent(): DeferralsSinceLastSent
  /** The log's latest outcome for each recipient of a queue id (Send Test Email follows its message by it). */
  outcomes(queueId: string): LoggedOutcome[]
  /** The queue id cleanup gave a message, found by its Message-ID (a test email handed to sendmail), or null. */
  queueIdOf(messageId: string): string | null
  on<E extends 'mailLog.appended' | 'events.appended'>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
  close(): Promise<void>
}
