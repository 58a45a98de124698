import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DatabaseSync } from 'node:sqlite'
import { openDatabase, transaction } from '../../../src/main/core/storage/db.ts'
import { withoutTriggers } from '../../../src/main/core/storage/triggers.ts'
import { removeDir, tempDir } from '../../helpers/engine.ts'

// A bulk statement sets per-row triggers aside only inside its transaction,
// only when it names every trigger of that table and event, and the triggers
// come back exactly as the database held them, whatever happens in between.

let dir = ''
let db: DatabaseSync | null = null
afterEach(() => {
  db?.close()
  db = null
  removeDir(dir)
})

const triggers = (d: DatabaseSync) => d.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all()
const logCount = (d: DatabaseSync) => (d.prepare("SELECT coalesce(sum(n), 0) AS n FROM row_counts WHERE tbl = 'mail_log'").get() as { n: number }).n
const insertLogRow = (d: DatabaseSync) => d.prepare("INSERT INTO mail_log (at, queue_id, sender, recipient, status) VALUES (1, 'Q', 's@example.test', 'r@example.test', 'deleted')").run()
const MAIL_LOG_INSERT = ['mail_log_count_ins', 'report_rollup_ins', 'report_rollup_ins_addr', 'report_rollup_ins_queue', 'report_rollup_ins_cause']

function open(): DatabaseSync {
  dir = tempDir()
  db = openDatabase(join(dir, 'queue.sqlite'))
  return db
}

describe('withoutTriggers()', () => {
  it('runs the statement without the triggers named and puts them back exactly', () => {
    const d = open()
    const before = triggers(d)
    transaction(d, () =>
      withoutTriggers(d, [{ table: 'mail_log', event: 'INSERT', names: MAIL_LOG_INSERT }], () => {
        insertLogRow(d)
        // The count trigger did not run for this row: the bulk path adds its sums itself.
        expect(logCount(d)).toBe(0)
      }),
    )
    expect(triggers(d)).toEqual(before)
    insertLogRow(d)
    expect(logCount(d)).toBe(1)
  })

  it('refuses outside a transaction, and when a trigger of that table and event is not named', () => {
    const d = open()
    const before = triggers(d)
    expect(() => withoutTriggers(d, [{ table: 'mail_log', event: 'INSERT', names: MAIL_LOG_INSERT }], () => 1)).toThrow(/inside the transaction/)
    d.exec("CREATE TRIGGER mail_log_extra AFTER INSERT ON mail_log BEGIN UPDATE meta SET v = v WHERE k = 'none'; END")
    expect(() => transaction(d, () => withoutTriggers(d, [{ table: 'mail_log', event: 'INSERT', names: MAIL_LOG_INSERT }], () => insertLogRow(d)))).toThrow(
      /unknown mail_log_extra/,
    )
    expect(() =>
      transaction(d, () => withoutTriggers(d, [{ table: 'mail_log', event: 'INSERT', names: [...MAIL_LOG_INSERT, 'mail_log_extra', 'no_such'] }], () => insertLogRow(d))),
    ).toThrow(/missing no_such/)
    d.exec('DROP TRIGGER mail_log_extra')
    expect(triggers(d)).toEqual(before)
    expect((d.prepare('SELECT count(*) AS n FROM mail_log').get() as { n: number }).n).toBe(0)
  })

  it('keeps the triggers when the statement fails and its transaction is rolled back', () => {
    const d = open()
    const before = triggers(d)
    expect(() =>
      transaction(d, () =>
        withoutTriggers(d, [{ table: 'messages', event: 'DELETE', names: ['messages_count_del'] }], () => {
          d.prepare('DELETE FROM messages').run()
          throw new Error('disk trouble')
        }),
      ),
    ).toThrow('disk trouble')
    expect(triggers(d)).toEqual(before)
  })
})
