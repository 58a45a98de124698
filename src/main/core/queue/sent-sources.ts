import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { transaction } from '../storage/db.ts'
import { statementCache } from '../storage/statements.ts'

// The sources of messages that left the queue by delivery, kept for the source retention (as
// Mailpit and smtp4dev keep what passed through), so a delivered message can still be opened:
// the one module that writes the sent_sources table (migration 7).

/** Why a source is not there: it outlived the source retention, the kept sources passed their size cap, or none were kept. */
export type PrunedWhy = 'age' | 'size' | 'off'

export type KeptSource =
  | { kept: true; leftAt: number; source: string; truncated: boolean; size: number }
  | { kept: false; leftAt: number; prunedAt: number; why: PrunedWhy; size: number }

export class SentSources {
  private readonly db: DatabaseSync
  private readonly stmt: (sql: string) => StatementSync
  /** Whether sources are kept at all (Keep sent messages above 0). */
  private readonly enabled: () => boolean

  constructor(db: DatabaseSync, enabled: () => boolean = () => true) {
    this.db = db
    this.enabled = enabled
    this.stmt = statementCache(db)
  }

  /**
   * Keeps the source of the queue's message row `id` as it leaves (in the queue's transaction),
   * copied inside SQLite so the bytes never pass through JavaScript.
   */
  keep(id: number, now: number): void {
    // Not kept: a row without its source still lets the console say why it cannot be opened.
    const on = this.enabled()
    this.stmt(
      `INSERT OR REPLACE INTO sent_sources (queue_id, left_at, message_id, sender, subject, size, raw, pruned_at, pruned_why)
       SELECT m.queue_id, ?, m.message_id, m.sender, m.subject, m.size, CASE WHEN ? THEN b.raw END, CASE WHEN ? THEN NULL ELSE ? END, CASE WHEN ? THEN NULL ELSE 'off' END
       FROM messages m JOIN message_bodies b ON b.message_id = m.id WHERE m.id = ?`,
    ).run(now, on ? 1 : 0, on ? 1 : 0, now, on ? 1 : 0, id)
  }

  /** What is known of a message that left the queue: its sender, subject and Message-ID, or null. */
  about(queueId: string): { sender: string; subject: string; messageId: string; size: number; leftAt: number } | null {
    const r = this.stmt('SELECT sender, subject, message_id, size, left_at FROM sent_sources WHERE queue_id = ?').get(queueId) as
      | { sender: string; subject: string; message_id: string; size: number; left_at: number }
      | undefined
    return r ? { sender: r.sender, subject: r.subject, messageId: r.message_id, size: r.size, leftAt: r.left_at } : null
  }

  /** The kept source of a message (its first `maxBytes`), what became of it, or null when it was never kept. */
  get(queueId: string, maxBytes = 1024 * 1024): KeptSource | null {
    const r = this.stmt('SELECT left_at, size, substr(raw, 1, ?) AS head, length(raw) AS n, pruned_at, pruned_why FROM sent_sources WHERE queue_id = ?').get(maxBytes, queueId) as
      | { left_at: number; size: number; head: Uint8Array | null; n: number | null; pruned_at: number | null; pruned_why: PrunedWhy | null }
      | undefined
    if (!r) return null
    if (r.head === null) return { kept: false, leftAt: r.left_at, prunedAt: r.pruned_at ?? r.left_at, why: r.pruned_why ?? 'age', size: r.size }
    return { kept: true, leftAt: r.left_at, source: Buffer.from(r.head).toString('utf8'), truncated: (r.n ?? 0) > maxBytes, size: r.size }
  }

  /** Drops the sources of up to `limit` messages that left before `before`; returns how many. */
  pruneOlderThan(before: number, limit: number, now: number): number {
    return Number(
      this.stmt(
        "UPDATE sent_sources SET raw = NULL, pruned_at = ?, pruned_why = 'age' WHERE queue_id IN (SELECT queue_id FROM sent_sources WHERE left_at < ? AND raw IS NOT NULL ORDER BY left_at LIMIT ?)",
      ).run(now, before, limit).changes,
    )
  }

  /** Bytes of the sources still kept. */
  keptBytes(): number {
    return (this.stmt('SELECT coalesce(sum(size), 0) AS n FROM sent_sources WHERE raw IS NOT NULL').get() as { n: number }).n
  }

  /**
   * Drops the oldest kept sources, up to `limit` of them, until what is kept fits in `capBytes`;
   * returns how many went (fewer than `limit` when it fits now).
   */
  pruneToSize(capBytes: number, limit: number, now: number): number {
    return transaction(this.db, () => this.pruneToSizeNow(capBytes, limit, now))
  }

  private pruneToSizeNow(capBytes: number, limit: number, now: number): number {
    let over = this.keptBytes() - capBytes
    if (over <= 0) return 0
    const oldest = this.stmt('SELECT queue_id, size FROM sent_sources WHERE raw IS NOT NULL ORDER BY left_at, rowid LIMIT ?').all(limit) as { queue_id: string; size: number }[]
    const drop = this.stmt("UPDATE sent_sources SET raw = NULL, pruned_at = ?, pruned_why = 'size' WHERE queue_id = ?")
    let n = 0
    for (const r of oldest) {
      if (over <= 0) break
      drop.run(now, r.queue_id)
      over -= r.size
      n++
    }
    return n
  }

  /** Forgets up to `limit` messages (kept or pruned) that left before `before`: the mail log's retention. */
  forgetOlderThan(before: number, limit: number): number {
    return Number(
      this.stmt('DELETE FROM sent_sources WHERE queue_id IN (SELECT queue_id FROM sent_sources WHERE left_at < ? ORDER BY left_at LIMIT ?)').run(before, limit).changes,
    )
  }
}
