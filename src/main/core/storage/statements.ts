import type { DatabaseSync, StatementSync } from 'node:sqlite'

/** Prepared statements compiled once per SQL text: the delivery path runs the same few thousands of times a second. */
export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>()
  return (sql) => {
    let s = statements.get(sql)
    if (!s) {
      s = db.prepare(sql)
      statements.set(sql, s)
    }
    return s
  }
}
