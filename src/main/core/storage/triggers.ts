import type { DatabaseSync } from 'node:sqlite'

// Bulk statements with a table's per-row triggers set aside. SQLite runs each
// trigger's program once per row, even when its WHEN clause is false, and the
// counters and rollups those triggers keep cost more than the rows themselves
// when a million messages are deleted. A bulk path sets the triggers aside for
// its statement, inside its transaction, and adds their sums once per
// statement; the triggers come back exactly as the database held them, in the
// same transaction, so no other statement ever runs without them.

export type TriggerEvent = 'INSERT' | 'DELETE' | 'UPDATE'

export interface TriggersAside {
  table: string
  event: TriggerEvent
  /** Every trigger on `table` for `event`: the caller keeps what each of them would have kept. */
  names: readonly string[]
}

const EVENT = /\b(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|DELETE|UPDATE)\b/i

/**
 * Runs `fn` with the triggers named set aside and puts them back. Refuses when
 * the table has a trigger for that event the caller did not name: a bulk path
 * that does not know of a trigger cannot keep what it keeps.
 */
export function withoutTriggers<T>(db: DatabaseSync, aside: readonly TriggersAside[], fn: () => T): T {
  if (!db.isTransaction) throw new Error('Triggers are set aside only inside the transaction that puts them back.')
  const saved: { name: string; sql: string }[] = []
  for (const { table, event, names } of aside) {
    const rows = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?").all(table) as { name: string; sql: string }[]
    const onEvent = rows.filter((r) => EVENT.exec(r.sql)?.[1]?.toUpperCase() === event)
    const unknown = onEvent.filter((r) => !names.includes(r.name)).map((r) => r.name)
    const missing = names.filter((n) => !onEvent.some((r) => r.name === n))
    if (unknown.length || missing.length) {
      throw new Error(
        `The ${event} triggers on ${table} are not the ones this bulk statement keeps (${[...unknown.map((n) => `unknown ${n}`), ...missing.map((n) => `missing ${n}`)].join(', ')}).`,
      )
    }
    saved.push(...onEvent)
  }
  for (const t of saved) db.exec(`DROP TRIGGER "${t.name}"`)
  try {
    return fn()
  } finally {
    // A statement SQLite rolled back on its own (a full disk) took the drops with it.
    if (db.isTransaction) for (const t of saved) db.exec(t.sql)
  }
}
