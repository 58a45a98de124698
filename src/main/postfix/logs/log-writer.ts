import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { EventLog } from '../../core/logs/event-log.ts'
import type { MailLog, MailLogRecord } from '../../core/logs/mail-log.ts'
import { causeOf } from './cause.ts'
import type { LogLine, PostfixRecord } from './parse-line.ts'

// Turns what Postfix logged into the Mail Log's rows and the Logs' events, as
// the embedded engine writes them, so the same reports read them. Postfix says
// a message's sender and size once, on qmgr's line before its deliveries, and
// who sent it on smtpd's or pickup's line before that: a row per queue id keeps
// what a later line needs until the message leaves the queue. It is in the
// index, written in the same transaction as the rows, so a restart between two
// lines of one message loses nothing.

/** The log index's own tables beside the core's (this module is their only writer). */
export const POSTFIX_LOG_TABLES = `
  CREATE TABLE IF NOT EXISTS postfix_messages (
    queue_id TEXT PRIMARY KEY,
    -- When smtpd or pickup took the message; null for Postfix's own notices, and a message first seen later.
    received_at INTEGER,
    -- smtpd's client; null for pickup.
    client TEXT,
    sender TEXT,
    size INTEGER,
    -- Whether its 'received' row is written (on qmgr's first line, which has the sender and size).
    received_logged INTEGER NOT NULL DEFAULT 0,
    -- Recipients deferred and not yet sent or bounced (JSON): what a hold, a deletion or an expiry applies to.
    pending TEXT NOT NULL DEFAULT '[]',
    seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS postfix_messages_seen ON postfix_messages (seen_at);
  CREATE TABLE IF NOT EXISTS postfix_message_ids (message_id TEXT PRIMARY KEY, queue_id TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS postfix_message_ids_at ON postfix_message_ids (at);`

interface MessageState {
  queue_id: string
  received_at: number | null
  client: string | null
  sender: string | null
  size: number | null
  received_logged: number
  pending: string
}

/** What one batch of lines added. */
export interface Written {
  mailLog: number
  events: number
}

const REPLIES = {
  expired: 'Returned to the sender: it was in the queue longer than maximal_queue_lifetime.',
  deleted: 'Deleted by the administrator (postsuper -d).',
  released: 'Released from hold by the administrator (postsuper -H).',
} as const

/** The master's lines worth a line in Logs: the server started, reloaded or stopped. */
const MASTER_NEWS = /^(daemon started|reload|terminating on signal)/
/**
 * postsuper's totals: `postsuper -d ALL` (Delete Queue) logs only "Deleted: N messages", no queue
 * id, so the Mail Log cannot have a row per message; Logs says how many went.
 */
const POSTSUPER_NEWS = /^(Deleted|Placed on hold|Released from hold|Requeued): \d+ messages?$/

export class LogWriter {
  private readonly db: DatabaseSync
  private readonly mailLog: MailLog
  private readonly events: EventLog
  private readonly at: { now: number }
  private readonly get: StatementSync
  private readonly put: StatementSync
  private readonly drop: StatementSync
  private readonly putId: StatementSync

  /** `at` is the clock the EventLog was given: set to each line's time before it writes. */
  constructor(db: DatabaseSync, mailLog: MailLog, events: EventLog, at: { now: number }) {
    this.db = db
    this.mailLog = mailLog
    this.events = events
    this.at = at
    this.get = db.prepare('SELECT queue_id, received_at, client, sender, size, received_logged, pending FROM postfix_messages WHERE queue_id = ?')
    this.put = db.prepare(
      `INSERT INTO postfix_messages (queue_id, received_at, client, sender, size, received_logged, pending, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (queue_id) DO UPDATE SET received_at = excluded.received_at, client = excluded.client, sender = excluded.sender, size = excluded.size,
         received_logged = excluded.received_logged, pending = excluded.pending, seen_at = excluded.seen_at`,
    )
    this.drop = db.prepare('DELETE FROM postfix_messages WHERE queue_id = ?')
    this.putId = db.prepare('INSERT OR REPLACE INTO postfix_message_ids (message_id, queue_id, at) VALUES (?, ?, ?)')
  }

  /** Writes what one line says; the caller holds the transaction. */
  write(line: LogLine, r: PostfixRecord, written: Written): void {
    this.at.now = line.at
    if (r.kind === 'event') {
      this.events.append(r.level, `postfix/${line.program}`, r.message, { program: line.program, pid: line.pid, severity: r.severity })
      written.events++
      return
    }
    const state = this.state(r.queueId)
    const save = (s: MessageState) => this.put.run(s.queue_id, s.received_at, s.client, s.sender, s.size, s.received_logged, s.pending, line.at)
    const row = (status: MailLogRecord['status'], recipient: string, extra: Partial<MailLogRecord> = {}) => {
      this.mailLog.append({ at: line.at, queueId: r.queueId, sender: state.sender ?? '', recipient, status, size: state.size, ...extra })
      written.mailLog++
    }
    const pending = () => JSON.parse(state.pending) as string[]
    /** One row per recipient still waiting, or one for the message when none is known yet. */
    const perPending = (status: MailLogRecord['status'], reply: string) => {
      const rcpts = pending()
      for (const recipient of rcpts.length ? rcpts : ['']) row(status, recipient, { reply })
    }
    switch (r.kind) {
      case 'client':
      case 'pickup':
        save({ ...fresh(r.queueId), received_at: line.at, client: r.kind === 'client' ? r.client : null, sender: r.kind === 'pickup' ? r.sender : null })
        return
      case 'message-id':
        this.putId.run(r.messageId, r.queueId, line.at)
        return
      case 'queued': {
        // qmgr says it again each time a deferred message comes back: the first one counts (as pflogsumm's).
        if (state.size === null) {
          state.sender = r.sender
          state.size = r.size
        }
        if (state.received_at !== null && !state.received_logged) {
          this.mailLog.append({
            at: state.received_at,
            queueId: r.queueId,
            sender: state.sender ?? r.sender,
            recipient: r.nrcpt === 1 ? '1 recipient' : `${r.nrcpt} recipients`,
            status: 'received',
            size: state.size,
            relay: state.client,
          })
          written.mailLog++
          state.received_logged = 1
        }
        save(state)
        return
      }
      case 'delivery': {
        row(r.status, r.recipient, {
          relay: r.relay,
          delayMs: r.delayMs,
          dsn: r.dsn,
          reply: r.reply,
          cause: r.status === 'sent' ? null : causeOf(r.reply, r.relay),
        })
        const waiting = pending().filter((x) => x !== r.recipient)
        if (r.status === 'deferred') waiting.push(r.recipient)
        state.pending = JSON.stringify(waiting)
        save(state)
        return
      }
      case 'expired':
        state.sender ??= r.sender
        perPending('expired', REPLIES.expired)
        state.pending = '[]'
        save(state)
        return
      case 'held':
        perPending('held', r.reply)
        save(state)
        return
      case 'released':
        perPending('released', REPLIES.released)
        save(state)
        return
      case 'removed':
        if (r.byAdmin) perPending('deleted', REPLIES.deleted)
        this.drop.run(r.queueId)
        return
      case 'notice':
        this.events.append('info', `postfix/${line.program}`, `Non-delivery notification ${r.noticeId} written to the sender of ${r.queueId}.`, {
          queueId: r.queueId,
          notice: r.noticeId,
        })
        written.events++
        return
    }
  }

  /** A line that is not about a message: the master's start, reload and stop, and postsuper's totals, go to Logs. */
  writeServerLine(line: LogLine, written: Written): void {
    const news = (line.program === 'master' && MASTER_NEWS.test(line.text)) || (line.program === 'postsuper' && POSTSUPER_NEWS.test(line.text))
    if (!news) return
    this.at.now = line.at
    this.events.append('info', `postfix/${line.program}`, line.text, { program: line.program, pid: line.pid })
    written.events++
  }

  queueIdOf(messageId: string): string | null {
    const id = messageId.trim().replace(/^<(.*)>$/, '$1')
    const row = this.db.prepare('SELECT queue_id FROM postfix_message_ids WHERE message_id = ?').get(id) as { queue_id: string } | undefined
    return row?.queue_id ?? null
  }

  /** Forgets what a lost line would have closed: messages unseen for longer than `before`, Message-IDs older than it. */
  prune(before: number): void {
    this.db.prepare('DELETE FROM postfix_messages WHERE seen_at < ?').run(before)
    this.db.prepare('DELETE FROM postfix_message_ids WHERE at < ?').run(before)
  }

  private state(queueId: string): MessageState {
    return (this.get.get(queueId) as MessageState | undefined) ?? fresh(queueId)
  }
}

function fresh(queueId: string): MessageState {
  return { queue_id: queueId, received_at: null, client: null, sender: null, size: null, received_logged: 0, pending: '[]' }
}
