import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { isQueueId } from '../../../shared/queue-id.ts'
import type { MailLogEntry, MailLogStatus, Page } from '../../../shared/types.ts'
import { explainCause } from '../errors/decoder.ts'
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

export class MailLog {
  private readonly db: DatabaseSync
  private readonly insertStmt: StatementSync

  constructor(db: DatabaseSync) {
    this.db = db
    this.insertStmt = db.prepare(
      'INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
    const insert = `INSERT INTO mail_log (at, queue_id, sender, recipient, status, delay_ms, size, reply)
      SELECT ?, m.queue_id, m.sender, r.address, ?, ? - m.arrival_at, m.size, ? FROM recipients r JOIN messages m ON m.id = r.message_id`
    if ('rowIdsAfter' in which) {
      // One chunk of Delete Queue: a range of row ids, read through the primary keys.
      this.db
        .prepare(`${insert} WHERE m.id > ? AND m.id <= ? AND r.status = 'pending' AND m.queue_id NOT IN (SELECT value FROM json_each(?)) ORDER BY m.id`)
        .run(at, status, at, reply, which.rowIdsAfter, which.upTo, JSON.stringify([...which.allBut]))
    } else if ('messageRowIds' in which) {
      // One chunk of a bulk action: the ids come as one JSON parameter, never spliced into the SQL.
      this.db
        .prepare(`${insert} WHERE m.id IN (SELECT value FROM json_each(?)) AND r.status = 'pending' ORDER BY m.id`)
        .run(at, status, at, reply, JSON.stringify(which.messageRowIds))
    } else if ('messageRowId' in which) {
      this.db.prepare(`${insert} WHERE m.id = ? AND r.status = 'pending'`).run(at, status, at, reply, which.messageRowId)
    } else {
      this.db
        .prepare(`${insert} WHERE r.status = 'pending' AND m.queue_id NOT IN (SELECT value FROM json_each(?)) ORDER BY m.queue_id`)
        .run(at, status, at, reply, JSON.stringify([...which.allBut]))
    }
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

  lastSentAt(): number | null {
    const row = this.db.prepare("SELECT at FROM mail_log WHERE status = 'sent' ORDER BY id DESC LIMIT 1").get() as { at: number } | undefined
    return row?.at ?? null
  }

  /** Removes rows older than `before`; returns how many went. */
  prune(before: number): number {
    return Number(this.db.prepare('DELETE FROM mail_log WHERE at < ?').run(before).changes)
  }
}
