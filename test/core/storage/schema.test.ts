import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/main/core/storage/db.ts'
import { applyMigration, MIGRATIONS } from '../../../src/main/core/storage/migrations/index.ts'
import { removeDir, tempDir } from '../../helpers/engine.ts'

// The schema is what databases already on disk hold: a migration's SQL, once
// released, never changes, or a database made by an older version would differ
// from one made now. schema-v3.json is sqlite_master as the version that
// introduced migration 3 wrote it, text for text.

interface SchemaRow {
  type: string
  name: string
  tbl_name: string
  sql: string | null
}

const EXPECTED = JSON.parse(readFileSync(join(import.meta.dirname, 'schema-v3.json'), 'utf8')) as { userVersion: number; schema: SchemaRow[] }

// Later migrations add objects of their own (4: the log search index); those of migrations 1–3 stay exactly as released,
// but for the changes later migrations made to them: migration 6 moved messages.raw to message_bodies,
// migration 8 added the Mail Log's subject.
const RELEASED = new Set(EXPECTED.schema.map((r) => `${r.type}:${r.name}`))
const MESSAGES_RAW = ',\n    raw BLOB NOT NULL\n  )'
const MAIL_LOG_END = '\n    cause TEXT\n  )'
const CURRENT = EXPECTED.schema.map((r) => {
  if (r.type === 'table' && r.name === 'mail_log') {
    expect(r.sql).toContain(MAIL_LOG_END)
    return { ...r, sql: r.sql!.replace(MAIL_LOG_END, '\n    cause TEXT\n  , subject TEXT)') }
  }
  if (r.type !== 'table' || r.name !== 'messages') return r
  expect(r.sql).toContain(MESSAGES_RAW)
  return { ...r, sql: r.sql!.replace(MESSAGES_RAW, ')') }
})

function schemaOf(db: DatabaseSync): SchemaRow[] {
  const rows = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all() as unknown as SchemaRow[]
  return rows.filter((r) => RELEASED.has(`${r.type}:${r.name}`))
}

let dir = ''
afterEach(() => removeDir(dir))

describe('the database schema', () => {
  it('the released migrations 1–3 still make exactly the schema they made', () => {
    const db = new DatabaseSync(':memory:')
    try {
      for (const migration of MIGRATIONS.slice(0, EXPECTED.userVersion)) applyMigration(db, migration)
      expect(db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all()).toEqual(EXPECTED.schema)
    } finally {
      db.close()
    }
  })

  it('a new database gets the released objects, changed only where a later migration says', () => {
    dir = tempDir()
    const db = openDatabase(join(dir, 'queue.sqlite'))
    try {
      expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.length)
      expect(MIGRATIONS.length).toBeGreaterThanOrEqual(EXPECTED.userVersion)
      expect(schemaOf(db)).toEqual(CURRENT)
    } finally {
      db.close()
    }
  })

  it('a database at the released schema opens unchanged, its rows kept', () => {
    dir = tempDir()
    const path = join(dir, 'queue.sqlite')
    const first = openDatabase(path)
    first.prepare("INSERT INTO mail_log (at, queue_id, sender, recipient, status, size) VALUES (?, 'ABCDEF012345', 'a@example.test', 'b@example.test', 'sent', 10)").run(Date.UTC(2026, 0, 5, 10))
    first.close()
    const again = openDatabase(path)
    try {
      expect(schemaOf(again)).toEqual(CURRENT)
      expect(again.prepare('SELECT slot, status, n, bytes FROM report_slots').all()).toEqual([{ slot: Date.UTC(2026, 0, 5, 10) / 900_000, status: 'sent', n: 1, bytes: 10 }])
    } finally {
      again.close()
    }
  })
})
