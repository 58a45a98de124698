import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import type { ApiError, ApiEvents, ApiParsedRequest, ApiResponse, LogExportRequest, Result } from '../../../shared/api.ts'
import { EXPORT_PATH } from '../../../shared/wire.ts'
import { EventLog } from '../../core/logs/event-log.ts'
import { logCsv, PendingDownloads, type LogCsvExport } from '../../core/logs/log-export.ts'
import { LogIndexer } from '../../core/logs/log-indexer.ts'
import { MailLog } from '../../core/logs/mail-log.ts'
import { StaleCursorError } from '../../core/logs/paging.ts'
import { dayReport, NotACalendarDay } from '../../core/reports/day-report.ts'
import { exportDayReport } from '../../core/reports/export-report.ts'
import { openDatabase, storageErrorOf, transaction } from '../../core/storage/db.ts'
import type { PostfixTools } from '../tools.ts'
import type { DeferralsSinceLastSent } from './health.ts'
import { findLogSource, LogReader, type LogPosition, type LogSource } from './log-reader.ts'
import { LogWriter, POSTFIX_LOG_TABLES, type Written } from './log-writer.ts'
import { classify, parseLine } from './parse-line.ts'
import type { LoggedOutcome, LogMethod, PostfixLogs } from './postfix-logs.ts'

// The Postfix backend's log index: the server's mail log read incrementally
// into a SQLite file in the system's data directory with the embedded
// engine's own tables, so Mail Log, Logs, search, the CSV export and Today's /
// Yesterday's Report are answered by the same code, at the same speed. Where
// the reading stopped is kept in the index's meta table, in the transaction
// that wrote the rows those lines made: a restart neither loses nor repeats a line.

export const LOG_INDEX_FILE = 'postfix-log.sqlite'
/** How often the timer looks for new lines. */
export const CATCH_UP_MS = 3000
/** Chunks read by one catchUp() before it gives the timer the rest. */
const MAX_CHUNKS_PER_CATCH_UP = 64
/** A message whose removal was never logged is forgotten after this long. */
const STATE_KEPT_MS = 30 * 86_400_000

const META_SOURCE = 'postfix.log.source'
const META_POSITION = 'postfix.log.position'

export interface PostfixLogsOptions {
  /** The system's data directory; the index is LOG_INDEX_FILE in it. */
  dataDir: string
  tools: PostfixTools
  /** Where the log is; found when absent (log-reader.ts findLogSource). */
  source?: LogSource
  /** Bytes per read (tests make it small). */
  chunkBytes?: number
  /** The timer's interval; 0 runs no timer (tests call catchUp). */
  intervalMs?: number
  now?: () => number
}

export async function openPostfixLogs(options: PostfixLogsOptions): Promise<PostfixLogIndex> {
  const source = options.source ?? (await findLogSource(options.tools))
  const db = openDatabase(join(options.dataDir, LOG_INDEX_FILE))
  try {
    db.exec(POSTFIX_LOG_TABLES)
  } catch (err) {
    db.close()
    throw err
  }
  const index = new PostfixLogIndex(db, options, source)
  index.start(options.intervalMs ?? CATCH_UP_MS)
  return index
}

export class PostfixLogIndex implements PostfixLogs {
  readonly db: DatabaseSync
  readonly dataDir: string
  readonly source: LogSource
  readonly mailLog: MailLog
  readonly events: EventLog
  private readonly reader: LogReader
  private readonly writer: LogWriter
  private readonly indexer: LogIndexer
  private readonly emitter = new EventEmitter()
  private readonly downloads: PendingDownloads
  private readonly now: () => number
  /** The time each event row is written with: the line's, not the reading's. */
  private readonly lineClock = { now: 0 }
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> = Promise.resolve(0)
  private closed = false
  /** The last read's failure, said once in Logs until a read works again. */
  private failing: string | null = null

  constructor(db: DatabaseSync, options: PostfixLogsOptions, source: LogSource) {
    this.db = db
    this.dataDir = options.dataDir
    this.source = source
    this.now = options.now ?? Date.now
    this.mailLog = new MailLog(db)
    this.events = new EventLog(db, () => this.lineClock.now || this.now())
    this.writer = new LogWriter(db, this.mailLog, this.events, this.lineClock)
    this.reader = new LogReader(options.tools.runner, source, options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes })
    this.indexer = new LogIndexer(db)
    this.downloads = new PendingDownloads(this.now)
    this.indexer.start()
    // Another log than the one the position is of (maillog_file changed): read it from its start.
    if (this.meta(META_SOURCE) !== JSON.stringify(source)) {
      transaction(db, () => {
        this.setMeta(META_SOURCE, JSON.stringify(source))
        this.db.prepare('DELETE FROM meta WHERE k = ?').run(META_POSITION)
      })
    }
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.closed) return
    const tick = (ms: number) => {
      this.timer = setTimeout(() => {
        this.timer = null
        // One chunk per turn; the next at once while the log has more.
        void this.serial(() => this.turn()).then(
          (r) => !this.closed && tick(r.more ? 0 : intervalMs),
          () => !this.closed && tick(intervalMs),
        )
      }, ms)
      this.timer.unref()
    }
    tick(0)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  catchUp(): Promise<number> {
    return this.serial(async () => {
      let lines = 0
      for (let i = 0; i < MAX_CHUNKS_PER_CATCH_UP; i++) {
        const r = await this.turn()
        lines += r.lines
        if (!r.more) break
      }
      return lines
    })
  }

  /** One read at a time: the timer's and a caller's turns never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.running.then(fn, fn)
    this.running = run.then(
      () => 0,
      () => 0,
    )
    return run
  }

  /** Reads one chunk and writes what it says, with the position, in one transaction. */
  private async turn(): Promise<{ lines: number; more: boolean }> {
    if (this.closed) return { lines: 0, more: false }
    let chunk
    try {
      chunk = await this.reader.read(this.position())
      this.failing = null
    } catch (err) {
      const message = (err as Error).message
      if (this.failing !== message && !this.closed) {
        this.failing = message
        this.lineClock.now = 0
        this.events.append('warning', 'postfix/log', `The mail log could not be read: ${message}`)
        this.emit('events.appended', 1)
      }
      throw err
    }
    if (this.closed) return { lines: 0, more: false }
    const written: Written = { mailLog: 0, events: 0 }
    const now = this.now()
    transaction(this.db, () => {
      for (const text of chunk.lines) {
        const line = parseLine(text, now)
        if (!line) continue
        const record = classify(line)
        if (record) this.writer.write(line, record, written)
        else this.writer.writeServerLine(line, written)
      }
      if (chunk.next) this.setMeta(META_POSITION, JSON.stringify(chunk.next))
      if (chunk.lines.length) this.writer.prune(now - STATE_KEPT_MS)
    })
    this.lineClock.now = 0
    if (written.mailLog) this.emit('mailLog.appended', written.mailLog)
    if (written.events) this.emit('events.appended', written.events)
    return { lines: chunk.lines.length, more: chunk.more }
  }

  private position(): LogPosition | null {
    const v = this.meta(META_POSITION)
    return v ? (JSON.parse(v) as LogPosition) : null
  }

  private meta(k: string): string | null {
    return (this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined)?.v ?? null
  }

  private setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, v)
  }

  private emit(event: 'mailLog.appended' | 'events.appended', count: number): void {
    this.emitter.emit(event, { count })
  }

  on<E extends 'mailLog.appended' | 'events.appended'>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.emitter.on(event, listener)
    return () => this.emitter.off(event, listener)
  }

  async call<M extends LogMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>> {
    if (this.closed) return { ok: false, error: { code: 'internal', message: 'The mail log index is closed; restart SMTP Console.' } }
    try {
      return { ok: true, data: (await this.answer(method, request)) as ApiResponse<M> }
    } catch (err) {
      return { ok: false, error: this.apiError(method, err as Error) }
    }
  }

  private answer(method: LogMethod, request: unknown): ApiResponse<LogMethod> {
    switch (method) {
      case 'mailLog.list': {
        const r = request as ApiParsedRequest<'mailLog.list'>
        return this.mailLog.list({ cursor: r.cursor, limit: r.limit, status: r.status, text: r.text })
      }
      case 'events.list': {
        const r = request as ApiParsedRequest<'events.list'>
        return this.events.list({ cursor: r.cursor, limit: r.limit, level: r.level, text: r.text })
      }
      case 'reports.day': {
        const r = request as ApiParsedRequest<'reports.day'>
        return dayReport(this.db, r.date, r.top)
      }
      case 'reports.export':
        return exportDayReport(this.db, request as ApiParsedRequest<'reports.export'>)
      case 'logs.exportCsv': {
        const r = request as LogExportRequest
        return { kind: 'download', filename: this.exportCsv(r).filename, href: `${EXPORT_PATH}${this.downloads.add(r)}` }
      }
    }
  }

  /** As the embedded engine's api-errors.ts: the admin's input, the disk, or a fault written to Logs. */
  private apiError(method: string, err: Error): ApiError {
    if (err instanceof StaleCursorError) return { code: 'invalid_request', message: err.message, fields: { cursor: err.message } }
    if (err instanceof NotACalendarDay) return { code: 'invalid_request', message: err.message }
    const storage = storageErrorOf(err, this.dataDir)
    if (storage) return { code: 'storage', message: storage.message }
    try {
      this.lineClock.now = 0
      this.events.append('error', 'postfix/log', `${method} failed: ${err.message}`)
    } catch {
      // The index itself failing: the answer says it.
    }
    return { code: 'internal', message: `${method} failed: ${err.message}. See Logs for details.` }
  }

  exportCsv(request: LogExportRequest): LogCsvExport {
    return logCsv({ db: this.db, mailLog: this.mailLog, events: this.events, now: this.now }, request)
  }

  takeDownload(id: string): LogCsvExport | null {
    const request = this.downloads.take(id)
    return request ? this.exportCsv(request) : null
  }

  lastDeliveryAt(): number | null {
    return this.mailLog.lastSentAt()
  }

  deferralsSinceLastSent(): DeferralsSinceLastSent {
    return this.mailLog.deferralsSinceLastSent()
  }

  outcomes(queueId: string): LoggedOutcome[] {
    const rows = this.db
      .prepare("SELECT recipient, status, coalesce(reply, '') AS reply, at FROM mail_log WHERE queue_id = ? AND status IN ('sent', 'deferred', 'bounced', 'expired') ORDER BY id")
      .all(queueId) as unknown as LoggedOutcome[]
    const last = new Map<string, LoggedOutcome>()
    for (const r of rows) last.set(r.recipient, { recipient: r.recipient, status: r.status, reply: r.reply, at: r.at })
    return [...last.values()]
  }

  queueIdOf(messageId: string): string | null {
    return this.writer.queueIdOf(messageId)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.stop()
    this.closed = true
    this.indexer.stop()
    await this.running.catch(() => undefined)
    this.emitter.removeAllListeners()
    this.db.close()
  }
}
