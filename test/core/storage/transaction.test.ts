import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DatabaseSync } from 'node:sqlite'
import { openDatabase, transaction } from '../../../src/main/core/storage/db.ts'
import { removeDir, tempDir } from '../../helpers/engine.ts'

// A durable transaction's promise is that its rows are on disk when it returns.
// Nested in one that is not durable, the outer commit (synchronous=NORMAL) would
// decide, so that nesting is refused and nothing of it is written.

let dir = ''
let db: DatabaseSync | null = null
afterEach(() => {
  db?.close()
  db = null
  removeDir(dir)
})

const synchronous = (d: DatabaseSync) => (d.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous
const FULL = 2
const NORMAL = 1
const metaRows = (d: DatabaseSync) => (d.prepare("SELECT count(*) AS n FROM meta WHERE k LIKE 'test:%'").get() as { n: number }).n

describe('transaction()', () => {
  it('refuses a durable transaction nested in one that is not, and writes nothing of either', () => {
    dir = tempDir()
    db = openDatabase(join(dir, 'queue.sqlite'))
    const d = db
    expect(() =>
      transaction(d, () => {
        d.prepare("INSERT INTO meta (k, v) VALUES ('test:outer', '1')").run()
        transaction(d, () => d.prepare("INSERT INTO meta (k, v) VALUES ('test:inner', '1')").run(), true)
      }),
    ).toThrow(/durable transaction cannot run inside one that is not/)
    expect(d.isTransaction).toBe(false)
    expect(metaRows(d)).toBe(0)
    expect(synchronous(d)).toBe(NORMAL)
  })

  it('runs a durable transaction, alone or nested in another durable one, with synchronous=FULL', () => {
    dir = tempDir()
    db = openDatabase(join(dir, 'queue.sqlite'))
    const d = db
    const seen: number[] = []
    transaction(d, () => seen.push(synchronous(d)), true)
    transaction(
      d,
      () => {
        transaction(d, () => seen.push(synchronous(d)), true)
        // Not durable inside durable: the outer commit is durable for both.
        transaction(d, () => d.prepare("INSERT INTO meta (k, v) VALUES ('test:nested', '1')").run())
      },
      true,
    )
    expect(seen).toEqual([FULL, FULL])
    expect(metaRows(d)).toBe(1)
    expect(synchronous(d)).toBe(NORMAL)
  })
})
