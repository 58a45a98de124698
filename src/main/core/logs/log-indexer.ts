import type { DatabaseSync } from 'node:sqlite'
import { indexSome, logSearchMode, type LogTable } from './log-search.ts'

// Fills the logs' search indexes in the background (log-search.ts): a turn
// indexes at most ROWS_PER_TURN rows, each table in its own short
// transaction, then yields to deliveries and requests. While rows wait it
// takes the next turn at once (after the event loop has run); once caught
// up, it looks again every IDLE_MS. Searches never wait for it: rows above
// the mark are read with LIKE.

/** Rows indexed per turn: about 40 ms of work here, so a request waits no longer than that. */
export const ROWS_PER_TURN = 2000
/** How often a caught-up indexer looks for new rows. */
export const IDLE_MS = 1000

const TABLES: readonly LogTable[] = ['mail_log', 'events']

export interface LogIndexerOptions {
  rowsPerTurn?: number
  idleMs?: number
  /** Told when a turn fails (disk full, say); the indexer tries again after IDLE_MS. */
  onError?: (err: Error) => void
  /** Told when a turn has indexed the last rows waiting, so the engine can checkpoint what indexing wrote. */
  onCaughtUp?: () => void
}

export class LogIndexer {
  private readonly db: DatabaseSync
  private readonly rowsPerTurn: number
  private readonly idleMs: number
  private readonly onError: (err: Error) => void
  private readonly onCaughtUp: () => void
  private timer: NodeJS.Timeout | null = null
  private stopped = true
  private failing = false
  private holds = 0

  constructor(db: DatabaseSync, options: LogIndexerOptions = {}) {
    this.db = db
    this.rowsPerTurn = options.rowsPerTurn ?? ROWS_PER_TURN
    this.idleMs = options.idleMs ?? IDLE_MS
    this.onError = options.onError ?? (() => undefined)
    this.onCaughtUp = options.onCaughtUp ?? (() => undefined)
  }

  /** One turn: up to rowsPerTurn rows, shared by the logs in order; returns how many were indexed. */
  turn(): number {
    let left = this.rowsPerTurn
    for (const table of TABLES) {
      if (left <= 0) break
      left -= indexSome(this.db, table, left)
    }
    return this.rowsPerTurn - left
  }

  start(): void {
    if (logSearchMode(this.db) !== 'fts' || !this.stopped) return
    this.stopped = false
    this.schedule(0)
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /**
   * Holds the indexer back until the returned release is called (a bulk action runs: its chunks, not the
   * index, are what the admin waits for; the rows it logs are indexed once it ends). Searches stay
   * complete meanwhile: rows above the mark are read with LIKE.
   */
  hold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.holds--
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => this.run(), ms)
    this.timer.unref()
  }

  private run(): void {
    this.timer = null
    if (this.holds > 0) return this.schedule(this.idleMs)
    let full = false
    try {
      const indexed = this.turn()
      full = indexed === this.rowsPerTurn
      this.failing = false
      if (indexed > 0 && !full) this.onCaughtUp()
    } catch (err) {
      // Said once per spell of failures, not once a second.
      if (!this.failing) this.onError(err as Error)
      this.failing = true
    }
    this.schedule(full ? 0 : this.idleMs)
  }
}
