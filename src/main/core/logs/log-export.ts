import { randomBytes } from 'node:crypto'
import { createWriteStream, renameSync, rmSync } from 'node:fs'
import type { DatabaseSync } from 'node:sqlite'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setImmediate as yieldToOthers } from 'node:timers/promises'
import type { LogExportRequest } from '../../../shared/api.ts'
import { explainCause } from '../errors/decoder.ts'
import type { EventLog, EventRow } from './event-log.ts'
import type { LogRows } from './log-search.ts'
import type { MailLog, MailLogRow } from './mail-log.ts'
import { csvField } from '../reports/export-csv.ts'

// What the Mail Log or Logs filter shows, as CSV, streamed: the rows are read
// newest first in keyset pages of EXPORT_PAGE_ROWS, each page one chunk, so
// ten million rows go out without more than a page held in memory, and the
// console answers other requests between pages.

export const EXPORT_PAGE_ROWS = 5000

type Cell = string | number | null

/** A CSV file being made: its name, its text in chunks (read once), and how many rows went out so far. */
export interface LogCsvExport {
  filename: string
  chunks: AsyncIterable<string>
  readonly rows: number
}

const line = (cells: Cell[]): string => `${cells.map(csvField).join(',')}\r\n`

interface Walk<Row> {
  db: DatabaseSync
  rows: LogRows
  header: string[]
  cells: (row: Row) => Cell[]
  pageRows: number
  counted: (n: number) => void
}

/** The header, then one chunk per page; rows that arrive meanwhile are newer than the first page and stay out. */
async function* walk<Row extends { id: number }>(w: Walk<Row>): AsyncGenerator<string> {
  yield line(w.header)
  const { select, idColumn, where, params } = w.rows
  const first = w.db.prepare(`${select}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${idColumn} DESC LIMIT ?`)
  const next = w.db.prepare(`${select} WHERE ${[...where, `${idColumn} < ?`].join(' AND ')} ORDER BY ${idColumn} DESC LIMIT ?`)
  let before: number | null = null
  for (;;) {
    // Row by row into the page's text: a page of row objects is never held at once.
    const page = (before === null ? first.iterate(...params, w.pageRows) : next.iterate(...params, before, w.pageRows)) as Iterable<unknown> as Iterable<Row>
    let text = ''
    let n = 0
    for (const row of page) {
      text += line(w.cells(row))
      before = row.id
      n++
    }
    if (n === 0) return
    w.counted(n)
    yield text
    if (n < w.pageRows) return
    // Between pages, let deliveries and other requests run.
    await yieldToOthers()
  }
}

const iso = (ms: number): string => new Date(ms).toISOString()

export const MAIL_LOG_CSV_HEADER = ['at', 'queue_id', 'sender', 'recipient', 'status', 'relay', 'delay_ms', 'dsn', 'tls', 'size', 'reply', 'cause', 'summary']
export const EVENTS_CSV_HEADER = ['at', 'level', 'source', 'message', 'details']

function mailLogCells(r: MailLogRow): Cell[] {
  return [iso(r.at), r.queue_id, r.sender, r.recipient, r.status, r.relay, r.delay_ms, r.dsn, r.tls, r.size, r.reply, r.cause, r.cause ? (explainCause(r.cause)?.summary ?? null) : null]
}

function eventCells(r: EventRow): Cell[] {
  return [iso(r.at), r.level, r.source, r.message, r.details]
}

export interface LogSources {
  db: DatabaseSync
  mailLog: MailLog
  events: EventLog
  now: () => number
}

/** The local day, for the file's name: the day the admin made it. */
function dayOf(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** The CSV of what a Mail Log or Logs filter selects; nothing is read until its chunks are. */
export function logCsv(src: LogSources, request: LogExportRequest, pageRows = EXPORT_PAGE_ROWS): LogCsvExport {
  let rows = 0
  const counted = (n: number) => {
    rows += n
  }
  const day = dayOf(src.now())
  const chunks =
    request.log === 'mailLog'
      ? walk<MailLogRow>({
          db: src.db,
          rows: src.mailLog.rows({ status: request.status, text: request.text }),
          header: MAIL_LOG_CSV_HEADER,
          cells: mailLogCells,
          pageRows,
          counted,
        })
      : walk<EventRow>({
          db: src.db,
          rows: src.events.rows({ level: request.level, text: request.text }),
          header: EVENTS_CSV_HEADER,
          cells: eventCells,
          pageRows,
          counted,
        })
  return {
    filename: `smtp-${request.log === 'mailLog' ? 'mail-log' : 'logs'}-${day}.csv`,
    chunks,
    get rows() {
      return rows
    },
  }
}

/**
 * Writes an export to `file`: to a temporary file beside it first, renamed
 * when complete, so a failed or stopped export never leaves a file that
 * looks whole. Returns the rows written.
 */
export async function saveCsv(exp: LogCsvExport, file: string): Promise<number> {
  const partial = `${file}.${randomBytes(4).toString('hex')}.part`
  try {
    await pipeline(Readable.from(exp.chunks, { objectMode: false }), createWriteStream(partial, { mode: 0o600 }))
    renameSync(partial, file)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  }
  return exp.rows
}

/** How long the link of a browser download stays good: the page follows it at once. */
export const DOWNLOAD_TTL_MS = 60_000

/**
 * Downloads waiting for the browser to fetch them. The token-checked API call
 * makes one and answers its link; the link works once, for a minute, so the
 * address a browser keeps in its download history carries no token.
 */
export class PendingDownloads {
  private readonly waiting = new Map<string, { request: LogExportRequest; until: number }>()
  private readonly now: () => number

  constructor(now: () => number = Date.now) {
    this.now = now
  }

  add(request: LogExportRequest): string {
    const at = this.now()
    for (const [id, d] of this.waiting) if (d.until <= at) this.waiting.delete(id)
    const id = randomBytes(16).toString('base64url')
    this.waiting.set(id, { request, until: at + DOWNLOAD_TTL_MS })
    return id
  }

  /** The request a link was made for, once; null when unknown, used or expired. */
  take(id: string): LogExportRequest | null {
    const d = this.waiting.get(id)
    if (!d) return null
    this.waiting.delete(id)
    return d.until > this.now() ? d.request : null
  }
}
