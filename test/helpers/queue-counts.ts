import type { DatabaseSync } from 'node:sqlite'
import { expect } from 'vitest'
import type { CoreEngine } from '../../src/main/core/engine/engine.ts'

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
}
