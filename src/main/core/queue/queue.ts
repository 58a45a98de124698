import { randomBytes } from 'node:crypto'
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import { QUEUE_ID_BYTES } from '../../../shared/queue-id.ts'
import type { QueueEntry, QueueFilter, QueueState } from '../../../shared/types.ts'
import { backoffSeconds, isExpired, type RetryPolicy } from './backoff.ts'
import { transaction } from '../storage/db.ts'
import { ABORTED_REPLY, isAborted, type RecipientOutcome } from './outcome.ts'
import type { MailLog } from '../logs/mail-log.ts'
import type { MatchedRow, QueueView } from './queue-view.ts'
import { statementCache } from '../storage/statements.ts'
import { withoutTriggers, type TriggersAside } from '../storage/triggers.ts'
import type { SentSources } from './sent-sources.ts'
import { OrphanBodies } from './bodies.ts'

// The mail queue as a state machine on disk. A message is `queued` until its
// first attempt, `active` while the worker holds it, `deferred` between
// attempts, `hold` while the admin keeps it back. It leaves the queue when no
// recipient is pending. Every transition writes its mail-log rows in the same
// transaction, so the log never says what the queue did not do.

/**
 * A chunk of Flush Queue: every waiting message in a range of row ids made due now.
 * The unary `+` keeps SQLite on the row-id range: offered messages_due (state,
 * next_attempt_at), it walked that index over every message still due later, for
 * each chunk, and collected the rows first since the walk's own column changes.
 * Flush of a million took 4.3–5.6 s that way, 1.4 s this way.
 */
export const FLUSH_CHUNK_SQL = "UPDATE messages SET next_attempt_at = ? WHERE id > ? AND id <= ? AND +state IN ('queued', 'deferred') AND +next_attempt_at > ?"

/** The count triggers a deletion of many messages sets aside (migration 5), keeping their sums itself. */
const COUNT_DELETE_TRIGGERS: readonly TriggersAside[] = [
  { table: 'messages', event: 'DELETE', names: ['messages_count_del'] },
  { table: 'recipients', event: 'DELETE', names: ['recipients_domain_del'] },
]

export class QueueError extends Error {
  override name = 'QueueError'
  readonly code: 'not_found' | 'conflict'
  constructor(code: 'not_found' | 'conflict', message: string) {
    super(message)
    this.code = code
  }
}

export interface NewMessage {
  sender: string
  subject: string
  messageId: string
  raw: Buffer
  recipients: string[]
  isTest?: boolean
  /** Where a message taken over SMTP came from, for its `received` log row: the client and its AUTH name. */
  received?: { client: string; detail: string }
}

export interface ClaimedMessage {
  id: number
  queueId: string
  messageId: string
  sender: string
  /** For the mail log's rows (searched by subject); absent where a caller does not know it. */
  subject?: string
  raw: Buffer
  size: number
  arrivalAt: number
  attempts: number
  isTest: boolean
  /** Recipients still pending, in address order. */
  recipients: string[]
}

export type { OutcomeKind, RecipientOutcome } from './outcome.ts'

export interface OutcomeSummary {
  queueId: string
  /** What became of the message: gone (delivered/bounced/expired) or deferred, or gone from under us (deleted). */
  result: 'done' | 'deferred' | 'vanished'
  sent: number
  deferred: number
  bounced: number
  expired: number
  nextAttemptAt: number | null
  /** When the attempt was logged: the time of its mail-log rows. */
  at: number
}

/**
 * A message deleted while a delivery of it was in flight. Its pending
 * recipients are logged when that attempt ends, as what became of them: the
 * server may have accepted the message already. Kept in the meta table until
 * then, so a crash in between still logs them as deleted at the next start.
 */
interface Deletion {
  sender: string
  arrivalAt: number
  size: number
  recipients: string[]
  reply: string
}

const DELETION_KEY = 'deleting:'

/** Which messages dueAgain touches: fixed SQL, never built from input. */
type DueWhere = 'id = ?' | "id = ? AND state = 'active'" | "state = 'active'" | 'id IN (SELECT value FROM json_each(?))'

/** What one chunk of a bulk action may do to the messages it selects. */
export type ChunkAction = 'delete' | 'hold' | 'release' | 'retry' | 'flush'

export interface ChunkResult {
  /** Messages the chunk looked at, and the last row id among them (null when there were none). */
  seen: number
  last: number | null
  /** Messages it changed. */
  changed: number
  /** Queue ids it deleted that were active: the worker drops or aborts them. */
  activeDeleted: string[]
}

const BULK_REPLY: Record<'delete' | 'deleteAll', string> = {
  deleteAll: 'deleted by the administrator (Delete Queue)',
  delete: 'deleted by the administrator (action on the Mail Queue filter)',
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase()
}

/** Random bytes for the next queue ids, drawn in bulk: one call per id cost a burst 2% of its accept time. */
const idPool = { bytes: Buffer.alloc(0), at: 0 }
const IDS_PER_DRAW = 256

/** A Postfix-like queue id: 12 upper-case hex digits. */
export function newQueueId(): string {
  if (idPool.at + QUEUE_ID_BYTES > idPool.bytes.length) {
    idPool.bytes = randomBytes(QUEUE_ID_BYTES * IDS_PER_DRAW)
    idPool.at = 0
  }
  const id = idPool.bytes.toString('hex', idPool.at, idPool.at + QUEUE_ID_BYTES).toUpperCase()
  idPool.at += QUEUE_ID_BYTES
  return id
}

export class Queue {
  private readonly db: DatabaseSync
  private readonly log: MailLog
  private readonly now: () => number

  private readonly view: QueueView
  private readonly stmt: (sql: string) => StatementSync
  /** The bodies Delete Queue leaves behind, freed later. */
  readonly bodies: OrphanBodies
  /** Where the source of a message that leaves by delivery is kept for the source retention; none: not kept. */
  private readonly sources: SentSources | null

  constructor(db: DatabaseSync, log: MailLog, view: QueueView, now: () => number, sources: SentSources | null = null) {
    this.db = db
    this.sources = sources
    this.log = log
    this.view = view
    this.now = now
    this.stmt = statementCache(db)
    this.bodies = new OrphanBodies(db)
  }

  /**
   * Accepts messages durably: when this returns, they survive a crash or a power cut.
   * `durable` false commits without the fsync, for a caller that syncs the log itself
   * before saying the messages are safe (local submission's group commit).
   */
  submit(messages: NewMessage[], durable = true): string[] {
    return this.submitAndClaim(messages, durable, 0).ids
  }

  /**
   * Submits, and claims the first `claim` messages for the worker in the same
   * transaction (stored active, as claimDue would leave them): a message that
   * arrives while the worker has a free session needs no second transaction
   * to be taken, nor its body read back.
   */
  submitAndClaim(messages: NewMessage[], durable: boolean, claim: number): { ids: string[]; claimed: ClaimedMessage[] } {
    const insertMessage = this.stmt(
      `INSERT INTO messages (queue_id, message_id, sender, subject, size, arrival_at, state, attempts, next_attempt_at, is_test)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    )
    // OR REPLACE: a row id freed by a delete may come back; its body went with it, but never trust a leftover.
    const insertBody = this.stmt('INSERT OR REPLACE INTO message_bodies (message_id, raw) VALUES (?, ?)')
    const insertRecipient = this.stmt(
      "INSERT OR IGNORE INTO recipients (message_id, address, domain, status, updated_at) VALUES (?, ?, ?, 'pending', ?)",
    )
    return transaction(
      this.db,
      () => {
        const now = this.now()
        const claimed: ClaimedMessage[] = []
        const ids = messages.map((m, i) => {
          const queueId = newQueueId()
          const taken = i < claim
          const { lastInsertRowid } = insertMessage.run(queueId, m.messageId, m.sender, m.subject, m.raw.length, now, taken ? 'active' : 'queued', now, m.isTest ? 1 : 0)
          insertBody.run(lastInsertRowid, m.raw)
          for (const to of m.recipients) insertRecipient.run(lastInsertRowid, to, domainOf(to), now)
          this.log.append({
            at: now,
            queueId,
            sender: m.sender,
            recipient: summarizeRecipients(m.recipients),
            status: 'received',
            size: m.raw.length,
            relay: m.received?.client ?? null,
            reply: m.received?.detail ?? null,
            subject: m.subject,
          })
          if (taken) {
            claimed.push({
              id: Number(lastInsertRowid),
              queueId,
              messageId: m.messageId,
              sender: m.sender,
              subject: m.subject,
              raw: m.raw,
              size: m.raw.length,
              arrivalAt: now,
              attempts: 0,
              isTest: m.isTest === true,
              // As the recipients table holds them: once each, in address order.
              recipients: [...new Set(m.recipients)].sort(),
            })
          }
          return queueId
        })
        return { ids, claimed }
      },
      durable,
    )
  }

  /** Those of `msgs` still in the queue and active: a message claimed at submit may have been deleted before the worker took it. */
  stillActive(msgs: ClaimedMessage[]): ClaimedMessage[] {
    const check = this.stmt("SELECT 1 AS ok FROM messages WHERE id = ? AND queue_id = ? AND state = 'active'")
    return msgs.filter((m) => check.get(m.id, m.queueId) !== undefined)
  }

  /** Takes up to `limit` due messages and marks them active. */
  claimDue(limit: number): ClaimedMessage[] {
    if (limit <= 0) return []
    // Read first: most looks find nothing due (a burst's messages are claimed at submit), and a
    // write transaction costs more than this index probe.
    const due = this.nextDueAt()
    if (due === null || due > this.now()) return []
    return transaction(this.db, () => {
      const now = this.now()
      const rows = this.stmt(
        `SELECT id, queue_id, message_id, sender, subject, (SELECT raw FROM message_bodies WHERE message_id = messages.id) AS raw, size, arrival_at, attempts, is_test FROM messages
           WHERE state IN ('queued', 'deferred') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      ).all(now, limit) as {
        id: number
        queue_id: string
        message_id: string
        sender: string
        subject: string
        raw: Uint8Array
        size: number
        arrival_at: number
        attempts: number
        is_test: number
      }[]
      if (rows.length === 0) return []
      const activate = this.stmt("UPDATE messages SET state = 'active' WHERE id = ?")
      const pending = this.stmt("SELECT address FROM recipients WHERE message_id = ? AND status = 'pending'")
      return rows.map((r) => {
        activate.run(r.id)
        return {
          id: r.id,
          queueId: r.queue_id,
          messageId: r.message_id,
          sender: r.sender,
          subject: r.subject,
          raw: Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength),
          size: r.size,
          arrivalAt: r.arrival_at,
          attempts: r.attempts,
          isTest: r.is_test === 1,
          recipients: (pending.all(r.id) as { address: string }[]).map((p) => p.address),
        }
      })
    })
  }

  /**
   * Records one delivery attempt: per recipient sent, deferred or bounced.
   * The message leaves the queue when nothing is pending; otherwise it is
   * deferred by the backoff, or its pending recipients expire when the
   * message has outlived the queue lifetime.
   */
  recordAttempt(msg: ClaimedMessage, outcomes: RecipientOutcome[], policy: RetryPolicy): OutcomeSummary {
    return transaction(this.db, () => {
      const now = this.now()
      const summary: OutcomeSummary = { queueId: msg.queueId, result: 'done', sent: 0, deferred: 0, bounced: 0, expired: 0, nextAttemptAt: null, at: now }
      // Stopped by us (shutdown), not refused by a server: no attempt is counted and no log row written.
      const abortedOnly = outcomes.length > 0 && outcomes.every(isAborted)
      // Row ids can be reused after a delete: the random queue id tells this message from a newer one.
      const exists = this.stmt('SELECT state FROM messages WHERE id = ? AND queue_id = ?').get(msg.id, msg.queueId) as { state: QueueState } | undefined
      // Deleted during this attempt: what the server did not take is logged as deleted now.
      const deletion = exists ? null : this.takeDeletion(msg.queueId)
      const setRecipient = this.stmt('UPDATE recipients SET status = ?, dsn = ?, reply = ?, updated_at = ? WHERE message_id = ? AND address = ?')
      const delayMs = now - msg.arrivalAt
      for (const o of outcomes) {
        const status = o.kind
        if (o.kind === 'sent') summary.sent++
        else if (o.kind === 'bounced') summary.bounced++
        else summary.deferred++
        if (deletion && o.kind === 'deferred') {
          const detail = !isAborted(o) ? `last attempt: ${o.reply ?? 'deferred'}` : o.reply === ABORTED_REPLY ? 'its delivery was stopped before the server had all of it' : o.reply
          this.logDeleted(msg.queueId, deletion, o.recipient, now, detail)
          continue
        }
        // An aborted attempt adds nothing; nor does one of a message whose deletion was logged already.
        if ((!exists || abortedOnly) && o.kind === 'deferred') continue
        this.log.append({
          at: now,
          queueId: msg.queueId,
          sender: msg.sender,
          recipient: o.recipient,
          status,
          relay: o.relay,
          delayMs,
          dsn: o.dsn,
          reply: o.reply,
          size: msg.size,
          tls: o.tls,
          cause: o.cause,
          subject: msg.subject ?? null,
        })
        if (exists && o.kind !== 'deferred') setRecipient.run(status, o.dsn, o.reply, now, msg.id, o.recipient)
        if (exists && o.kind === 'deferred') setRecipient.run('pending', o.dsn, o.reply, now, msg.id, o.recipient)
      }
      if (!exists) {
        if (deletion) {
          const had = new Set(outcomes.map((o) => o.recipient))
          for (const r of deletion.recipients) if (!had.has(r)) this.logDeleted(msg.queueId, deletion, r, now, null)
        }
        summary.result = 'vanished'
        return summary
      }
      if (abortedOnly) {
        this.dueAgain(now, 'id = ?', msg.id)
        summary.result = 'deferred'
        summary.nextAttemptAt = now
        return summary
      }
      const pendingCount = (this.stmt("SELECT count(*) AS n FROM recipients WHERE message_id = ? AND status = 'pending'").get(msg.id) as { n: number }).n
      if (pendingCount === 0) {
        this.sources?.keep(msg.id, now)
        this.removeMessage(msg.id)
        return summary
      }
      const attempts = msg.attempts + 1
      const failure = outcomes.find((o) => o.kind === 'deferred')
      if (isExpired(msg.arrivalAt, now, policy)) {
        summary.expired = this.expirePending(msg, now, failure ?? null)
        this.sources?.keep(msg.id, now)
        this.removeMessage(msg.id)
        return summary
      }
      const next = now + backoffSeconds(attempts, policy) * 1000
      // A held message stays held; anything else waits for its next attempt.
      const state = exists.state === 'hold' ? 'hold' : 'deferred'
      this.db
        .prepare('UPDATE messages SET state = ?, attempts = ?, next_attempt_at = ?, last_reason = ?, last_cause = ? WHERE id = ?')
        .run(state, attempts, next, failure?.reply ?? null, failure?.cause ?? null, msg.id)
      summary.result = 'deferred'
      summary.nextAttemptAt = next
      return summary
    })
  }

  /** Records several attempts in one transaction: one commit for many deliveries. */
  recordAttempts(items: { msg: ClaimedMessage; outcomes: RecipientOutcome[] }[], policy: RetryPolicy): OutcomeSummary[] {
    return transaction(this.db, () => items.map((i) => this.recordAttempt(i.msg, i.outcomes, policy)))
  }

  private expirePending(msg: ClaimedMessage, now: number, failure: RecipientOutcome | null): number {
    const pending = this.stmt("SELECT address FROM recipients WHERE message_id = ? AND status = 'pending'").all(msg.id) as { address: string }[]
    const lifetimeReply = `message expired after the maximal queue lifetime${failure?.reply ? `; last error: ${failure.reply}` : ''}`
    for (const p of pending) {
      this.log.append({
        at: now,
        queueId: msg.queueId,
        sender: msg.sender,
        recipient: p.address,
        status: 'expired',
        relay: failure?.relay ?? null,
        delayMs: now - msg.arrivalAt,
        dsn: '4.4.7',
        reply: lifetimeReply,
        size: msg.size,
        cause: 'expired',
        subject: msg.subject ?? null,
      })
    }
    return pending.length
  }

  private removeMessage(id: number): void {
    this.stmt('DELETE FROM recipients WHERE message_id = ?').run(id)
    this.stmt('DELETE FROM messages WHERE id = ?').run(id)
    this.stmt('DELETE FROM message_bodies WHERE message_id = ?').run(id)
  }

  /**
   * Deletes the messages whose row ids `where` selects (given the id column's name), with
   * their recipients and bodies (unless left for the sweeper), in the caller's transaction. The count triggers are set
   * aside and their sums taken once, per state and per domain, before the rows go.
   */
  private removeMany(where: (idColumn: string) => string, params: readonly SQLInputValue[], options: { leaveBodies?: boolean } = {}): number {
    const onMessages = where('id')
    const onRecipients = where('message_id')
    this.stmt(
      `UPDATE queue_counts SET n = n - d.c FROM (SELECT 'state:' || state AS k, count(*) AS c FROM messages WHERE ${onMessages} GROUP BY state) AS d WHERE queue_counts.k = d.k`,
    ).run(...params)
    // A domain loses each message with a pending recipient there, once however many it has (as the trigger counts).
    this.stmt(
      `UPDATE queue_domain_counts SET n = n - d.c FROM (SELECT domain, count(DISTINCT message_id) AS c FROM recipients WHERE ${onRecipients} AND status = 'pending' GROUP BY domain) AS d
       WHERE queue_domain_counts.domain = d.domain`,
    ).run(...params)
    this.stmt('DELETE FROM queue_domain_counts WHERE n <= 0').run()
    return withoutTriggers(this.db, COUNT_DELETE_TRIGGERS, () => {
      this.stmt(`DELETE FROM recipients WHERE ${onRecipients}`).run(...params)
      const count = Number(this.stmt(`DELETE FROM messages WHERE ${onMessages}`).run(...params).changes)
      if (!options.leaveBodies) this.stmt(`DELETE FROM message_bodies WHERE ${where('message_id')}`).run(...params)
      return count
    })
  }

  /** Makes every waiting message due now; returns how many are due. */
  flush(): number {
    return transaction(this.db, () => {
      const now = this.now()
      this.stmt("UPDATE messages SET next_attempt_at = ? WHERE state IN ('queued', 'deferred') AND next_attempt_at > ?").run(now, now)
      return (this.stmt("SELECT count(*) AS n FROM messages WHERE state IN ('queued', 'deferred')").get() as { n: number }).n
    })
  }

  /**
   * Removes every message in one transaction; each pending recipient gets a
   * `deleted` log row, except those of messages in `inFlight` (queue ids whose
   * delivery is under way): they are logged when that attempt is recorded.
   */
  deleteAll(inFlight: ReadonlySet<string> = new Set()): number {
    const reply = 'deleted by the administrator (Delete Queue)'
    return transaction(this.db, () => {
      const now = this.now()
      this.log.appendForPending('deleted', now, reply, { allBut: inFlight })
      for (const queueId of inFlight) this.deferDeletionLog(queueId, reply)
      return this.removeMany(() => 'true', [])
    })
  }

  /**
   * One chunk of a bulk action (Delete Queue, Flush Queue, an action on a filter): the
   * next `limit` messages the filter selects with row ids in (after, upTo], changed in one
   * durable transaction with their mail-log rows and their counts, so a crash between
   * chunks leaves each message either untouched or wholly done. Messages in `inFlight`
   * that are deleted are logged when their attempt ends, as deleteOne does.
   */
  applyChunk(
    action: ChunkAction,
    filter: QueueFilter,
    range: { after: number; upTo: number; limit: number; whole?: boolean },
    inFlight: ReadonlySet<string> = new Set(),
  ): ChunkResult {
    return transaction(
      this.db,
      () => {
        const now = this.now()
        if (range.whole && (action === 'delete' || action === 'flush')) return this.wholeChunk(action, range, inFlight, now)
        const rows = this.view.matchingAfter(filter, range.after, range.upTo, range.limit, now)
        const result: ChunkResult = { seen: rows.length, last: rows.length ? rows[rows.length - 1]!.id : null, changed: 0, activeDeleted: [] }
        if (rows.length === 0) return result
        const idsOf = (list: MatchedRow[]) => JSON.stringify(list.map((r) => r.id))
        const waiting = (r: MatchedRow) => r.state === 'queued' || r.state === 'deferred'
        if (action === 'delete') {
          const reply = BULK_REPLY[range.whole ? 'deleteAll' : 'delete']
          const flying = rows.filter((r) => inFlight.has(r.queue_id))
          this.log.appendForPending('deleted', now, reply, { messageRowIds: rows.filter((r) => !inFlight.has(r.queue_id)).map((r) => r.id) })
          for (const r of flying) this.deferDeletionLog(r.queue_id, reply)
          result.changed = this.removeMany((id) => `${id} IN (SELECT value FROM json_each(?))`, [idsOf(rows)])
          result.activeDeleted = rows.filter((r) => r.state === 'active').map((r) => r.queue_id)
        } else if (action === 'hold') {
          // A message being delivered cannot be held (as Hold on one message says); it is left as it is.
          const target = rows.filter(waiting)
          this.log.appendForPending('held', now, 'put on hold by the administrator (action on the Mail Queue filter)', { messageRowIds: target.map((r) => r.id) })
          result.changed = Number(this.stmt("UPDATE messages SET state = 'hold' WHERE id IN (SELECT value FROM json_each(?))").run(idsOf(target)).changes)
        } else if (action === 'release') {
          const target = rows.filter((r) => r.state === 'hold')
          this.log.appendForPending('released', now, 'released from hold by the administrator (action on the Mail Queue filter)', { messageRowIds: target.map((r) => r.id) })
          result.changed = this.dueAgain(now, 'id IN (SELECT value FROM json_each(?))', idsOf(target))
        } else if (action === 'retry') {
          const held = rows.filter((r) => r.state === 'hold')
          this.log.appendForPending('released', now, 'released from hold by the administrator (retry now)', { messageRowIds: held.map((r) => r.id) })
          result.changed = this.dueAgain(now, 'id IN (SELECT value FROM json_each(?))', idsOf(rows.filter((r) => r.state !== 'active')))
        } else {
          const target = rows.filter(waiting)
          this.stmt('UPDATE messages SET next_attempt_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND next_attempt_at > ?').run(now, idsOf(target), now)
          result.changed = target.length
        }
        return result
      },
      // Not durable: a power cut may bring back the last chunks whole, with their log rows; never half of one.
      false,
    )
  }

  /**
   * A chunk of Delete Queue or Flush Queue: every message with a row id in
   * (after, after + limit], read through the primary keys rather than listed.
   */
  private wholeChunk(action: 'delete' | 'flush', range: { after: number; upTo: number; limit: number }, inFlight: ReadonlySet<string>, now: number): ChunkResult {
    // Row ids left sparse by earlier deletes are skipped to the next message that exists.
    const next = (this.stmt('SELECT min(id) AS id FROM messages WHERE id > ?').get(range.after) as { id: number | null }).id
    if (next === null || next > range.upTo) return { seen: 0, last: null, changed: 0, activeDeleted: [] }
    const after = next - 1
    const end = Math.min(after + range.limit, range.upTo)
    range = { ...range, after }
    const result: ChunkResult = { seen: end - after, last: end, changed: 0, activeDeleted: [] }
    if (action === 'flush') {
      this.stmt(FLUSH_CHUNK_SQL).run(now, range.after, end, now)
      result.changed = (this.stmt("SELECT count(*) AS n FROM messages WHERE id > ? AND id <= ? AND state IN ('queued', 'deferred')").get(range.after, end) as { n: number }).n
      return result
    }
    const reply = BULK_REPLY.deleteAll
    this.log.appendForPending('deleted', now, reply, { rowIdsAfter: range.after, upTo: end, allBut: inFlight })
    const active = this.stmt("SELECT queue_id FROM messages WHERE id > ? AND id <= ? AND state = 'active'").all(range.after, end) as { queue_id: string }[]
    for (const { queue_id } of active) if (inFlight.has(queue_id)) this.deferDeletionLog(queue_id, reply)
    result.activeDeleted = active.map((r) => r.queue_id)
    result.changed = this.removeMany((id) => `${id} > ? AND ${id} <= ?`, [range.after, end], { leaveBodies: true })
    this.bodies.leftUpTo(end)
    return result
  }

  /** Removes one message; its pending recipients are logged `deleted`, now, or when its attempt in flight ends. */
  deleteOne(queueId: string, inFlight = false): ClaimedMessage['id'] {
    const reply = 'deleted by the administrator'
    return transaction(this.db, () => {
      const row = this.view.find(queueId)
      const now = this.now()
      if (inFlight) {
        this.deferDeletionLog(queueId, reply)
      } else {
        this.log.appendForPending('deleted', now, reply, { messageRowId: row.id })
      }
      this.removeMessage(row.id)
      return row.id
    })
  }

  /** Notes a message deleted during its delivery, with what its `deleted` rows will say (inside a transaction). */
  private deferDeletionLog(queueId: string, reply: string): void {
    const m = this.stmt('SELECT id, sender, arrival_at, size FROM messages WHERE queue_id = ?').get(queueId) as
      | { id: number; sender: string; arrival_at: number; size: number }
      | undefined
    if (!m) return
    const recipients = (this.stmt("SELECT address FROM recipients WHERE message_id = ? AND status = 'pending'").all(m.id) as { address: string }[]).map((r) => r.address)
    const deletion: Deletion = { sender: m.sender, arrivalAt: m.arrival_at, size: m.size, recipients, reply }
    this.stmt('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)').run(DELETION_KEY + queueId, JSON.stringify(deletion))
  }

  private takeDeletion(queueId: string): Deletion | null {
    const row = this.stmt('SELECT v FROM meta WHERE k = ?').get(DELETION_KEY + queueId) as { v: string } | undefined
    if (!row) return null
    this.stmt('DELETE FROM meta WHERE k = ?').run(DELETION_KEY + queueId)
    return JSON.parse(row.v) as Deletion
  }

  private logDeleted(queueId: string, d: Deletion, recipient: string, now: number, detail: string | null): void {
    this.log.append({
      at: now,
      queueId,
      sender: d.sender,
      recipient,
      status: 'deleted',
      delayMs: now - d.arrivalAt,
      size: d.size,
      reply: detail ? `${d.reply}; ${detail}` : d.reply,
    })
  }

  hold(queueId: string): QueueEntry {
    return transaction(this.db, () => {
      const row = this.view.find(queueId)
      if (row.state === 'hold') throw new QueueError('conflict', `Message ${queueId} is already on hold.`)
      if (row.state === 'active') throw new QueueError('conflict', `Message ${queueId} is being delivered right now; try again in a moment.`)
      this.stmt("UPDATE messages SET state = 'hold' WHERE id = ?").run(row.id)
      this.logAction(row.id, 'held', 'put on hold by the administrator')
      return this.view.entry(row.id)
    })
  }

  release(queueId: string): QueueEntry {
    return transaction(this.db, () => {
      const row = this.view.find(queueId)
      if (row.state !== 'hold') throw new QueueError('conflict', `Message ${queueId} is not on hold.`)
      const now = this.now()
      this.dueAgain(now, 'id = ?', row.id)
      this.logAction(row.id, 'released', 'released from hold by the administrator')
      return this.view.entry(row.id)
    })
  }

  /** Makes one message due now (a held message is released first). */
  retry(queueId: string): QueueEntry {
    return transaction(this.db, () => {
      const row = this.view.find(queueId)
      if (row.state === 'active') throw new QueueError('conflict', `Message ${queueId} is being delivered right now.`)
      const now = this.now()
      if (row.state === 'hold') this.logAction(row.id, 'released', 'released from hold by the administrator (retry now)')
      this.dueAgain(now, 'id = ?', row.id)
      return this.view.entry(row.id)
    })
  }

  /** Gives claimed messages that never went out back to the queue, due now. */
  unclaim(ids: number[]): void {
    transaction(this.db, () => {
      const now = this.now()
      for (const id of ids) this.dueAgain(now, "id = ? AND state = 'active'", id)
    })
  }

  /**
   * After a crash, messages left active are due again (delivery is at least
   * once), and messages deleted during a delivery whose end was never recorded
   * are logged as deleted.
   */
  recoverActive(): number {
    return transaction(this.db, () => {
      const now = this.now()
      const left = this.db.prepare('SELECT k FROM meta WHERE k >= ? AND k < ?').all(DELETION_KEY, `${DELETION_KEY}\uffff`) as { k: string }[]
      for (const { k } of left) {
        const queueId = k.slice(DELETION_KEY.length)
        const deletion = this.takeDeletion(queueId)!
        for (const r of deletion.recipients) this.logDeleted(queueId, deletion, r, now, 'the console stopped before the delivery in progress ended')
      }
      return this.dueAgain(now, "state = 'active'")
    })
  }

  /**
   * Makes the messages `where` selects due at `now`: queued again if never tried,
   * deferred otherwise (so the Mail Queue still tells a first attempt from a retry).
   * Returns how many.
   */
  private dueAgain(now: number, where: DueWhere, ...params: SQLInputValue[]): number {
    return Number(this.stmt(`UPDATE messages SET state = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END, next_attempt_at = ? WHERE ${where}`).run(now, ...params).changes)
  }

  /** When the next message falls due, or null when nothing waits. */
  nextDueAt(): number | null {
    const row = this.stmt("SELECT min(next_attempt_at) AS t FROM messages WHERE state IN ('queued', 'deferred')").get() as { t: number | null }
    return row.t
  }

  private logAction(id: number, status: 'held' | 'released', reply: string): void {
    this.log.appendForPending(status, this.now(), reply, { messageRowId: id })
  }
}

function summarizeRecipients(recipients: string[]): string {
  const joined = recipients.join(', ')
  return joined.length <= 500 ? joined : `${recipients[0]} and ${recipients.length - 1} more`
}
