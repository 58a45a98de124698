import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { transaction } from '../storage/db.ts'
import { statementCache } from '../storage/statements.ts'

// Delete Queue leaves the bytes of the messages it removes for later. Deleting
// a million bodies (1.2 GB of pages) took ~1.5 s of the action's time and most
// of what it wrote to the log; the admin waits for the messages to leave the
// queue, not for their pages to be freed. A message row gone is a message gone:
// nothing reads a body without its row, and a row id used again gets its own
// body written over the old one (INSERT OR REPLACE at submit). The sweeper
// frees the rest a few thousand at a time while the console is otherwise idle,
// and after a restart, from a mark kept in the same transactions.

/** Bodies of messages with row ids up to this one may have lost their message. */
const ORPHANS_KEY = 'bodies_orphaned_up_to'

export class OrphanBodies {
  private readonly db: DatabaseSync
  private readonly stmt: (sql: string) => StatementSync
  /** Where the sweep has got to; bodies at or below it were looked at. */
  private cursor = 0

  constructor(db: DatabaseSync) {
    this.db = db
    this.stmt = statementCache(db)
  }

  /** Inside the transaction that deleted messages with row ids up to `upTo`, leaving their bodies. */
  leftUpTo(upTo: number): void {
    this.stmt(
      'INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = max(CAST(v AS INTEGER), CAST(excluded.v AS INTEGER))',
    ).run(ORPHANS_KEY, String(upTo))
    // Row ids are used again once the queue is empty: what was swept may hold new orphans.
    this.cursor = 0
  }

  /** Whether bodies wait to be freed. */
  get pending(): boolean {
    return this.mark() !== null
  }

  /**
   * Frees the orphaned bodies among the next `span` row ids, in one transaction;
   * returns whether more are left. Only bodies whose message is gone are deleted.
   */
  sweepSome(span: number): boolean {
    return transaction(this.db, () => {
      const upTo = this.mark()
      if (upTo === null) return false
      // Skip the gaps: row ids left sparse by earlier deletes would otherwise be walked one span at a time.
      const next = (this.stmt('SELECT min(message_id) AS id FROM message_bodies WHERE message_id > ?').get(this.cursor) as { id: number | null }).id
      const from = next === null ? upTo : Math.max(this.cursor, next - 1)
      const to = Math.min(from + span, upTo)
      if (to > from) {
        this.stmt(
          'DELETE FROM message_bodies WHERE message_id > ? AND message_id <= ? AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.id = message_bodies.message_id)',
        ).run(from, to)
      }
      this.cursor = to
      if (to < upTo) return true
      this.stmt('DELETE FROM meta WHERE k = ?').run(ORPHANS_KEY)
      this.cursor = 0
      return false
    })
  }

  private mark(): number | null {
    const row = this.stmt('SELECT v FROM meta WHERE k = ?').get(ORPHANS_KEY) as { v: string } | undefined
    return row ? Number(row.v) : null
  }
}
