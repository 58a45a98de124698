import type { DatabaseSync } from 'node:sqlite'
import type { CountAndBytes, DayReport } from '../../shared/report.ts'

// A day's report from the mail log and the event log. Days are the
// workstation's local calendar days, so a DST day is 23 or 25 hours long.

/** Local midnight of the given day and of the next, in ms since the epoch. */
export function dayBounds(date: string): { from: number; to: number } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const start = new Date(y, m - 1, d)
  if (start.getFullYear() !== y || start.getMonth() !== m - 1 || start.getDate() !== d) {
    throw new RangeError(`${date} is not a calendar day.`)
  }
  return { from: start.getTime(), to: new Date(y, m - 1, d + 1).getTime() }
}

export function dayReport(db: DatabaseSync, date: string, top: number): DayReport {
  const { from, to } = dayBounds(date)
  const count = (status: string) =>
    (db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM mail_log WHERE at >= ? AND at < ? AND status = ?').get(from, to, status) as { n: number; bytes: number })
  const received = count('received')
  const sent = count('sent')
  const distinctQueued = (status: string) =>
    (db.prepare('SELECT count(DISTINCT queue_id) AS n FROM mail_log WHERE at >= ? AND at < ? AND status = ?').get(from, to, status) as { n: number }).n
  const scalar = (sql: string) => (db.prepare(sql).get(from, to) as { n: number }).n
  const byKey = (column: 'sender' | 'recipient', status: string): CountAndBytes[] =>
    db
      .prepare(
        `SELECT ${column} AS key, count(*) AS count, coalesce(sum(size), 0) AS bytes FROM mail_log WHERE at >= ? AND at < ? AND status = ?
         GROUP BY ${column} ORDER BY count DESC, key LIMIT ?`,
      )
      .all(from, to, status, top) as unknown as CountAndBytes[]
  return {
    date,
    from,
    to,
    totals: {
      received: received.n,
      delivered: sent.n,
      deferred: distinctQueued('deferred'),
      deferrals: count('deferred').n,
      bounced: count('bounced').n,
      expired: count('expired').n,
      held: distinctQueued('held'),
      deleted: count('deleted').n,
      bytesReceived: received.bytes,
      bytesDelivered: sent.bytes,
      senders: scalar("SELECT count(DISTINCT sender) AS n FROM mail_log WHERE at >= ? AND at < ? AND status = 'received'"),
      recipients: scalar("SELECT count(DISTINCT recipient) AS n FROM mail_log WHERE at >= ? AND at < ? AND status IN ('sent', 'bounced', 'deferred', 'expired')"),
      senderDomains: scalar("SELECT count(DISTINCT lower(substr(sender, instr(sender, '@') + 1))) AS n FROM mail_log WHERE at >= ? AND at < ? AND status = 'received'"),
      recipientDomains: scalar(
        "SELECT count(DISTINCT lower(substr(recipient, instr(recipient, '@') + 1))) AS n FROM mail_log WHERE at >= ? AND at < ? AND status IN ('sent', 'bounced', 'deferred', 'expired')",
      ),
    },
    sendersByCount: byKey('sender', 'received'),
    recipientsByCount: byKey('recipient', 'sent'),
    warnings: (db.prepare("SELECT count(*) AS n FROM events WHERE at >= ? AND at < ? AND level = 'warning'").get(from, to) as { n: number }).n,
    errors: (db.prepare("SELECT count(*) AS n FROM events WHERE at >= ? AND at < ? AND level = 'error'").get(from, to) as { n: number }).n,
  }
}
