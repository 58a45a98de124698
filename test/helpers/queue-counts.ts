import type { DatabaseSync } from 'node:sqlite'
import { expect } from 'vitest'
import type { CoreEngine } from '../../src/main/core/engine/engine.ts'
import { fillSlotsSql, rollupTables, sumDayFromLogSql } from '../../src/main/core/reports/rollup.ts'

/**
 * The queue's kept counts (by state, total, messages per pending recipient
 * domain) against the rows, counted the slow way; `when` names the step in a failure.
 */
export function expectCountsMatchRows(db: DatabaseSync, engine: CoreEngine, when = ''): void {
  const byState = Object.fromEntries((db.prepare('SELECT state, count(*) AS n FROM messages GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]))
  const total = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  const counts = engine.queueView.counts()
  expect({ when, counts }).toEqual({ when, counts: { queued: byState.queued ?? 0, active: byState.active ?? 0, deferred: byState.deferred ?? 0, hold: byState.hold ?? 0, total } })
  const domains = db
    .prepare("SELECT domain, count(DISTINCT message_id) AS count FROM recipients WHERE status = 'pending' GROUP BY domain ORDER BY count DESC, domain LIMIT 20")
    .all() as { domain: string; count: number }[]
  expect({ when, byDomain: engine.queueView.summary().byDomain }).toEqual({ when, byDomain: domains.map((d) => ({ ...d })) })
  // No domain row is left behind at zero or below.
  expect({ when, stale: db.prepare('SELECT domain, n FROM queue_domain_counts WHERE n <= 0').all() }).toEqual({ when, stale: [] })
  expectLogCountsMatchRows(db, when)
}

/**
 * The mail log's kept counts (rows per status) and the report rollup (per
 * quarter hour, and per day by address, queue id and cause) against the log's
 * rows, summed again the slow way into scratch tables.
 */
export function expectLogCountsMatchRows(db: DatabaseSync, when = ''): void {
  const rows = db.prepare('SELECT status AS k, count(*) AS n FROM mail_log GROUP BY status ORDER BY status').all()
  const kept = db.prepare("SELECT k, n FROM row_counts WHERE tbl = 'mail_log' AND n <> 0 ORDER BY k").all()
  expect({ when, kept }).toEqual({ when, kept: rows })
  db.exec(rollupTables('temp.check_'))
  db.exec('DELETE FROM temp.check_report_slots; DELETE FROM temp.check_report_keys')
  db.exec(fillSlotsSql('temp.check_report_slots', false))
  const slots = (table: string) => db.prepare(`SELECT slot, status, n, bytes, at_sum FROM ${table} WHERE n <> 0 ORDER BY slot, status`).all()
  expect({ when, slots: slots('report_slots') }).toEqual({ when, slots: slots('temp.check_report_slots') })
  // A day's key rows exist until a prune takes rows of that day; then the report sums the day again.
  const days = (db.prepare('SELECT DISTINCT day FROM report_keys').all() as { day: string }[]).map((d) => d.day)
  for (const day of days) {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number]
    const from = new Date(y, m - 1, d).getTime()
    const to = new Date(y, m - 1, d + 1).getTime()
    for (const sql of sumDayFromLogSql('temp.check_report_keys')) db.prepare(sql).run(day, from, to)
  }
  const keys = (table: string) => db.prepare(`SELECT day, kind, status, key, n, bytes, delay_sum, delay_max, at_sum, sample FROM ${table} ORDER BY day, kind, status, key`).all()
  expect({ when, keys: keys('report_keys') }).toEqual({ when, keys: keys('temp.check_report_keys') })
}
