import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import type { Page, QueueEntry, QueueFilter, QueueMessageDetail, QueueState, QueueSummary, RecipientDetail } from '../../../shared/types.ts'
import { QUEUE_STATES } from '../../../shared/types.ts'
import { causesSaying, explainCause } from '../errors/decoder.ts'
import type { MailLog } from '../logs/mail-log.ts'
import { containsPattern, keysetPage, type PageQuery } from '../logs/paging.ts'
import { QueueError } from './queue.ts'
import { statementCache } from '../storage/statements.ts'

// The queue as the admin reads it (Postfix's showq to queue.ts's qmgr):
// listing, counts, the summary, one message and its source. Reads only.

interface ListRow {
  id: number
  queue_id: string
  message_id: string
  sender: string
  subject: string
  size: number
  arrival_at: number
  state: QueueState
  attempts: number
  next_attempt_at: number | null
  last_reason: string | null
  last_cause: string | null
  is_test: number
  pending: string | null
  pending_count: number
}

const LIST_SELECT = `SELECT m.id, m.queue_id, m.message_id, m.sender, m.subject, m.size, m.arrival_at, m.state, m.attempts,
  m.next_attempt_at, m.last_reason, m.last_cause, m.is_test,
  (SELECT group_concat(address, char(10)) FROM (SELECT address FROM recipients r WHERE r.message_id = m.id AND r.status = 'pending' LIMIT 20)) AS pending,
  (SELECT count(*) FROM recipients r WHERE r.message_id = m.id AND r.status = 'pending') AS pending_count
  FROM messages m`

function toEntry(r: ListRow): QueueEntry {
  return {
    queueId: r.queue_id,
    size: r.size,
    arrivalAt: r.arrival_at,
    sender: r.sender,
    subject: r.subject,
    recipients: r.pending ? r.pending.split('\n') : [],
    recipientCount: r.pending_count,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'hold' || r.state === 'active' ? null : r.next_attempt_at,
    reason: r.last_reason,
    explanation: r.last_cause ? explainCause(r.last_cause) : null,
    isTest: r.is_test === 1,
  }
}

export interface MatchedRow {
  id: number
  queue_id: string
  state: QueueState
}

/**
 * The SQL conditions (on `messages m`) of the Mail Queue's filter, every value a
 * parameter. The same conditions page the list, count the matches and choose
 * the rows of a bulk action, so an action touches exactly what the admin saw.
 */
export function filterWhere(filter: QueueFilter, now: number): { where: string[]; params: SQLInputValue[]; text: string | undefined } {
  const where: string[] = []
  const params: SQLInputValue[] = []
  if (filter.state) {
    where.push('m.state = ?')
    params.push(filter.state)
  }
  const text = filter.text?.trim() || undefined
  if (text) {
    const like = containsPattern(text)
    // Part of a queue id, the server's words of the last failure, or its decoded cause find a message too.
    where.push(
      `(m.queue_id LIKE ? ESCAPE '\\' OR m.sender LIKE ? ESCAPE '\\' OR m.subject LIKE ? ESCAPE '\\' OR m.last_reason LIKE ? ESCAPE '\\'
        OR m.last_cause IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.address LIKE ? ESCAPE '\\'))`,
    )
    params.push(like, like, like, like, JSON.stringify(causesSaying(text)), like)
  }
  const domain = filter.domain?.trim().toLowerCase()
  if (domain) {
    where.push("EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.domain = ? AND r.status = 'pending')")
    params.push(domain)
  }
  const sender = filter.sender?.trim()
  if (sender) {
    where.push("m.sender LIKE ? ESCAPE '\\'")
    params.push(containsPattern(sender))
  }
  if (filter.olderThanMinutes) {
    where.push('m.arrival_at < ?')
    params.push(now - filter.olderThanMinutes * 60_000)
  }
  return { where, params, text }
}

export class QueueView {
  private readonly db: DatabaseSync
  private readonly log: MailLog
  private readonly stmt: (sql: string) => StatementSync

  private readonly now: () => number

  constructor(db: DatabaseSync, log: MailLog, now: () => number = Date.now) {
    this.db = db
    this.log = log
    this.now = now
    this.stmt = statementCache(db)
  }

  list(query: PageQuery & QueueFilter): Page<QueueEntry> {
    const { where, params, text } = filterWhere(query, this.now())
    // Only State (or nothing) has a kept count; the other filters count up to the pager's cap.
    const countable = !text && !query.domain && !query.sender?.trim() && !query.olderThanMinutes
    return keysetPage<ListRow, QueueEntry>(
      {
        db: this.db,
        scope: {
          list: 'queue',
          filter: { state: query.state, text, domain: query.domain, sender: query.sender?.trim(), olderThanMinutes: query.olderThanMinutes?.toString() },
        },
        select: LIST_SELECT,
        idColumn: 'm.id',
        where,
        params,
        map: toEntry,
        idOf: (r) => r.id,
        countFrom: 'messages m',
        ...(countable ? { total: () => this.count(query.state) } : {}),
      },
      query,
    )
  }

  /** How many messages a filter selects now: read once before the admin confirms an action on them. */
  countMatching(filter: QueueFilter): number {
    const { where, params } = filterWhere(filter, this.now())
    if (where.length === 0 || (where.length === 1 && filter.state)) return this.count(filter.state)
    return (this.db.prepare(`SELECT count(*) AS n FROM messages m WHERE ${where.join(' AND ')}`).get(...params) as { n: number }).n
  }

  /** The next `limit` messages the filter selects with row ids in (after, upTo], in id order. */
  matchingAfter(filter: QueueFilter, after: number, upTo: number, limit: number, now: number): MatchedRow[] {
    const { where, params } = filterWhere(filter, now)
    where.push('m.id > ?', 'm.id <= ?')
    return this.db.prepare(`SELECT m.id, m.queue_id, m.state FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.id LIMIT ?`).all(...params, after, upTo, limit) as unknown as MatchedRow[]
  }

  /** The newest row id now: a bulk action goes up to it, so messages submitted meanwhile are left alone. */
  lastRowId(): number {
    return (this.stmt('SELECT coalesce(max(id), 0) AS id FROM messages').get() as { id: number }).id
  }

  /** Messages in the queue, or in one state, from the counts the triggers keep (migration 005): never a COUNT(*). */
  count(state?: QueueState): number {
    const row = state
      ? this.stmt('SELECT n FROM queue_counts WHERE k = ?').get(`state:${state}`)
      : this.stmt("SELECT coalesce(sum(n), 0) AS n FROM queue_counts WHERE k >= 'state:' AND k < 'state;'").get()
    return (row as { n: number } | undefined)?.n ?? 0
  }

  /** When the oldest message not held arrived (by queue order, through the state index), or null when none waits. */
  oldestWaitingArrival(): number | null {
    const row = this.stmt(
      `SELECT min(arrival_at) AS at FROM messages WHERE id IN (
         SELECT min(id) FROM messages WHERE state = 'queued' UNION ALL
         SELECT min(id) FROM messages WHERE state = 'active' UNION ALL
         SELECT min(id) FROM messages WHERE state = 'deferred')`,
    ).get() as { at: number | null } | undefined
    return row?.at ?? null
  }

  counts(): Record<QueueState, number> & { total: number } {
    const out = { queued: 0, active: 0, deferred: 0, hold: 0, total: 0 }
    for (const r of this.stmt("SELECT k, n FROM queue_counts WHERE k >= 'state:' AND k < 'state;'").all() as { k: string; n: number }[]) {
      const state = r.k.slice('state:'.length) as QueueState
      if (!(state in out)) continue
      out[state] = r.n
      out.total += r.n
    }
    return out
  }

  summary(): QueueSummary {
    const counts = this.counts()
    const byState = Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s]])) as Record<QueueState, number>
    // The kept counts' index (n DESC, domain) gives the largest domains without reading the recipients.
    const byDomain = this.stmt('SELECT domain, n AS count FROM queue_domain_counts WHERE n > 0 ORDER BY n DESC, domain LIMIT 20').all() as { domain: string; count: number }[]
    return { total: counts.total, byState, byDomain }
  }

  get(queueId: string): QueueMessageDetail {
    const row = this.find(queueId)
    const entry = this.entry(row.id)
    const recipientsDetail = (
      this.stmt('SELECT address, status, dsn, reply, updated_at FROM recipients WHERE message_id = ? ORDER BY address').all(row.id) as {
        address: string
        status: RecipientDetail['status']
        dsn: string | null
        reply: string | null
        updated_at: number
      }[]
    ).map((r) => ({ address: r.address, status: r.status, dsn: r.dsn, reply: r.reply, updatedAt: r.updated_at }))
    const messageId = (this.stmt('SELECT message_id FROM messages WHERE id = ?').get(row.id) as { message_id: string }).message_id
    return { ...entry, messageId, recipientsDetail, attemptsLog: this.log.forQueueId(queueId) }
  }

  source(queueId: string, maxBytes = 1024 * 1024): { queueId: string; source: string; truncated: boolean } {
    const row = this.find(queueId)
    const r = this.stmt('SELECT substr(raw, 1, ?) AS head, length(raw) AS n FROM message_bodies WHERE message_id = ?').get(maxBytes, row.id) as { head: Uint8Array; n: number }
    return { queueId, source: Buffer.from(r.head).toString('utf8'), truncated: r.n > maxBytes }
  }

  /** Whether the message is still in the queue. */
  has(queueId: string): boolean {
    return this.stmt('SELECT 1 FROM messages WHERE queue_id = ?').get(queueId) !== undefined
  }

  /** The message's row id and state; QueueError not_found when it is not in the queue. */
  find(queueId: string): { id: number; state: QueueState } {
    const row = this.stmt('SELECT id, state FROM messages WHERE queue_id = ?').get(queueId) as { id: number; state: QueueState } | undefined
    if (!row) throw new QueueError('not_found', `Message ${queueId} is not in the queue (it may have been delivered or deleted).`)
    return row
  }

  /** The Mail Queue's row of one message. */
  entry(id: number): QueueEntry {
    return toEntry(this.stmt(`${LIST_SELECT} WHERE m.id = ?`).get(id) as unknown as ListRow)
  }
}
