import type { DatabaseSync, StatementSync } from 'node:sqlite'

// The SMTP transcripts of watched attempts (test emails, messages retried by
// hand): the one module that reads and writes the transcripts table.

export interface Transcript {
  queueId: string
  attempt: number
  at: number
  lines: string[]
}

export class Transcripts {
  private readonly db: DatabaseSync
  private readonly saveStmt: StatementSync
  private readonly latestStmt: StatementSync

  constructor(db: DatabaseSync) {
    this.db = db
    this.saveStmt = db.prepare('INSERT OR REPLACE INTO transcripts (queue_id, attempt, at, lines) VALUES (?, ?, ?, ?)')
    this.latestStmt = db.prepare('SELECT queue_id, attempt, at, lines FROM transcripts WHERE queue_id = ? ORDER BY attempt DESC LIMIT 1')
  }

  /** Keeps the transcript of one attempt (attempts count from 1), replacing one kept for it before. */
  save(t: Transcript): void {
    this.saveStmt.run(t.queueId, t.attempt, t.at, JSON.stringify(t.lines))
  }

  /** The transcript of the message's latest watched attempt, or null. */
  latest(queueId: string): Transcript | null {
    const row = this.latestStmt.get(queueId) as { queue_id: string; attempt: number; at: number; lines: string } | undefined
    return row ? { queueId: row.queue_id, attempt: row.attempt, at: row.at, lines: JSON.parse(row.lines) as string[] } : null
  }

  /** Removes transcripts older than `before`; returns how many went. */
  prune(before: number): number {
    return Number(this.db.prepare('DELETE FROM transcripts WHERE at < ?').run(before).changes)
  }
}
