import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { isQueueId } from '../../../shared/queue-id.ts'
import type { MailLogEntry, MailLogStatus, Page } from '../../../shared/types.ts'
import { explainCause } from '../errors/decoder.ts'
import { rollupAppendedSql, ROLLUP_INSERT_TRIGGERS } from '../reports/rollup.ts'
import { withoutTriggers } from '../storage/triggers.ts'
import { logRows, logSearchMode, type LogRows } from './log-search.ts'
import { keptCount, keysetPage, type PageQuery } from './paging.ts'

// The mail log: one row at arrival, one per recipient per delivery attempt,
// and one when a message leaves by the admin's hand (deleted, held, released).
// The one writer of mail_log: the queue asks it, in the queue's transaction.

export interface MailLogRecord {
  at: number
  queueId: string
  sender: string
  recipient: string
  status: MailLogStatus
  relay?: string | null
  delayMs?: number | null
  dsn?: string | null
  reply?: string | null
  size?: number | null
  tls?: string | null
  cause?: string | null
  /** The message's subject, for search (migration 8). */
  subject?: string | null
}

interface Row {
  id: number
  at: number
  queue_id: string
  sender: string
  recipient: string
  status: MailLogStatus
  relay: string | null
  delay_ms: number | null
  dsn: string | null
  reply: string | null
  size: number | null
  tls: string | null
  cause: string | null
}

const COLUMNS = ['id', 'at', 'queue_id', 'sender', 'recipient', 'status', 'relay', 'delay_ms', 'dsn', 'reply', 'size', 'tls', 'cause'] as const
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM mail_log`

export type MailLogRow = Row
export interface MailLogFilter {
  status?: MailLogStatus | undefined
  text?: string | undefined
}

export function toEntry(r: Row): MailLogEntry {
  return {
    id: r.id,
    at: r.at,
    queueId: r.queue_id,
    sender: r.sender,
    recipient: r.recipient,
    status: r.status,
    relay: r.relay,
    delayMs: r.delay_ms,
    dsn: r.dsn,
    reply: r.reply,
    size: r.size,
    tls: r.tls,
    explanation: r.cause ? explainCause(r.cause) : null,
  }
}

/** The log's own insert trigger, keeping row_counts (migration 1). */
const COUNT_INSERT_TRIGGER = 'mail_log_count_ins'
/** What that trigger adds for many rows of one status. */
const COUNT_APPENDED = `INSERT INTO row_counts (tbl, k, n) VALUES ('mail_log', ?, ?) ON CONFLICT (tbl, k) DO UPDATE SET n = n + excluded.n`

/** A failed attempt as the log keeps it: when, the decoder's cause, the server reached (null when none was). */
export interface LoggedFailure {
  at: number
  cause: string | null
  relay: string | null
}

export class MailLog {
  private readonly db: DatabaseSync
  private readonly insertStmt: StatementSync

  constructor(db: DatabaseSync) {
    this.db = db
    this.insertStmt = db.prepare(
      'INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
  }

  /** Appends one row; the caller holds the transaction it belongs to. */
  append(r: MailLogRecord): void {
    this.insertStmt.run(
      r.at,
      r.queueId,
      r.sender,
      r.recipient,
      r.status,
      r.relay ?? null,
      r.delayMs ?? null,
      r.dsn ?? null,
      r.reply ?? null,
      r.size ?? null,
      r.tls ?? null,
      r.cause ?? null,
      r.subject ?? null,
    )
  }

  /**
   * One row per pending recipient of the queued messages chosen, for what the
   * admin did to them (deleted, held, released): of one message, or of every
   * message but those whose delivery is in flight (logged when it ends).
   * Reads the queue's tables; the caller holds the transaction that changes them.
   */
  appendForPending(
    status: 'deleted' | 'held' | 'released',
    at: number,
    reply: string,
    which: { messageRowId: number } | { allBut: Iterable<string> } | { messageRowIds: readonly number[] } | { rowIdsAfter: number; upTo: number; allBut: Iterable<string> },
  ): void {
    const insert = `INSERT INTO mail_log (at, queue_id, sender, recipient, status, delay_ms, size, reply, subject)
      SELECT ?, m.queue_id, m.sender, r.address, ?, ? - m.arrival_at, m.size, ?, m.subject FROM recipients r JOIN messages m ON m.id = r.message_id`
    if ('messageRowId' in which) {
      this.db.prepare(`${insert} WHERE m.id = ? AND r.status = 'pending'`).run(at, status, at, reply, which.messageRowId)
    } else if ('rowIdsAfter' in which) {
      // One chunk of Delete Queue: a range of row ids, read through the primary keys.
      const sql = `${insert} WHERE m.id > ? AND m.id <= ? AND r.status = 'pending' AND m.queue_id NOT IN (SELECT value FROM json_each(?)) ORDER BY m.id`
      this.appendMany(status, () => this.db.prepare(sql).run(at, status, at, reply, which.rowIdsAfter, which.upTo, JSON.stringify([...which.allBut])))
    } else if ('messageRowIds' in which) {
      // One chunk of a bulk action: the ids come as one JSON parameter, never spliced into the SQL.
      const sql = `${insert} WHERE m.id IN (SELECT value FROM json_each(?)) AND r.status = 'pending' ORDER BY m.id`
      this.appendMany(status, () => this.db.prepare(sql).run(at, status, at, reply, JSON.stringify(which.messageRowIds)))
    } else {
      const sql = `${insert} WHERE r.status = 'pending' AND m.queue_id NOT IN (SELECT value FROM json_each(?)) ORDER BY m.queue_id`
      this.appendMany(status, () => this.db.prepare(sql).run(at, status, at, reply, JSON.stringify([...which.allBut])))
    }
  }

  /**
   * Runs a statement that appends many rows with the per-row insert triggers (the
   * row counts, the report rollup) set aside, and adds what they keep once, summed
   * over the rows appended: Delete Queue of a million messages writes a million rows.
   */
  private appendMany(status: MailLogStatus, insertRows: () => { changes: number | bigint }): void {
    const before = (this.db.prepare('SELECT coalesce(max(id), 0) AS id FROM mail_log').get() as { id: number }).id
    withoutTriggers(this.db, [{ table: 'mail_log', event: 'INSERT', names: [COUNT_INSERT_TRIGGER, ...ROLLUP_INSERT_TRIGGERS] }], () => {
      const appended = Number(insertRows().changes)
      if (appended === 0) return
      this.db.prepare(COUNT_APPENDED).run(status, appended)
      for (const sql of rollupAppendedSql(status)) this.db.prepare(sql).run(before)
    })
  }

  /** The rows a filter selects, newest first: the page lists them, the CSV export walks them all. */
  rows(filter: MailLogFilter): LogRows {
    const text = filter.text?.trim()
    // Without the index, a whole queue id is looked up through its own index, not by reading a million addresses.
    if (text && isQueueId(text) && logSearchMode(this.db) === 'like') {
      const rows = logRows(this.db, 'mail_log', COLUMNS, { value: filter.status })
      rows.where.push('queue_id = ?')
      rows.params.push(text.toUpperCase())
      return rows
    }
    return logRows(this.db, 'mail_log', COLUMNS, { text, value: filter.status })
  }

  list(query: PageQuery & MailLogFilter): Page<MailLogEntry> {
    const text = query.text?.trim()
    return keysetPage<Row, MailLogEntry>(
      {
        db: this.db,
        scope: { list: 'mailLog', filter: { status: query.status, text } },
        ...this.rows(query),
        map: toEntry,
        idOf: (r) => r.id,
        ...(text ? {} : { total: () => this.count(query.status) }),
      },
      query,
    )
  }

  /** Rows with this status, or all rows, from the trigger-kept counts. */
  count(status?: MailLogStatus): number {
    return keptCount(this.db, 'mail_log', status)
  }

  forQueueId(queueId: string, limit = 200): MailLogEntry[] {
    return (this.db.prepare(`${SELECT} WHERE queue_id = ? ORDER BY id DESC LIMIT ?`).all(queueId, limit) as unknown as Row[]).map(toEntry)
  }

  /** Messages received from SMTP clients (local submission) since `at`: their received rows name the client. */
  receivedFromClientsSince(at: number): number {
    const row = this.db.prepare("SELECT count(*) AS n FROM mail_log WHERE at >= ? AND status = 'received' AND relay IS NOT NULL").get(at) as { n: number }
    return row.n
  }

  lastSentAt(): number | null {
    const row = this.db.prepare("SELECT at FROM mail_log WHERE status = 'sent' ORDER BY id DESC LIMIT 1").get() as { at: number } | undefined
    return row?.at ?? null
  }

  /**
   * The deferrals logged since the last delivery, the oldest and the newest `limit` of them (each read from
   * the status index, so a long outage costs the same): where the delivery health starts when the console opens.
   */
  deferralsSinceLastSent(limit = 1000): { lastSentAt: number | null; oldest: LoggedFailure[]; newest: LoggedFailure[] } {
    const sent = this.db.prepare("SELECT id, at FROM mail_log WHERE status = 'sent' ORDER BY id DESC LIMIT 1").get() as { id: number; at: number } | undefined
    const after = sent?.id ?? 0
    const read = (order: 'ASC' | 'DESC') =>
      this.db.prepare(`SELECT at, cause, relay FROM mail_log WHERE status = 'deferred' AND id > ? ORDER BY id ${order} LIMIT ?`).all(after, limit) as unknown as LoggedFailure[]
    return { lastSentAt: sent?.at ?? null, oldest: read('ASC'), newest: read('DESC') }
  }

  /** Removes rows older than `before` (at most `limit`, the oldest); returns how many went. */
  prune(before: number, limit?: number): number {
    if (limit === undefined) return Number(this.db.prepare('DELETE FROM mail_log WHERE at < ?').run(before).changes)
    // The oldest first, a chunk at a time: each row's triggers (counts, index, rollup) make a month of rows seconds of work.
    return Number(this.db.prepare('DELETE FROM mail_log WHERE id IN (SELECT id FROM mail_log WHERE at < ? ORDER BY at LIMIT ?)').run(before, limit).changes)
  }
}
