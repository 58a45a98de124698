import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { EventEntry, EventLevel, Page } from '../../../shared/types.ts'
import { logRows, type LogRows } from './log-search.ts'
import { keptCount, keysetPage, type PageQuery } from './paging.ts'

// The system event log: what the console did and what went wrong, for the
// Logs page. Details are JSON; secrets never reach them.

interface Row {
  id: number
  at: number
  level: EventLevel
  source: string
  message: string
  details: string | null
}

const COLUMNS = ['id', 'at', 'level', 'source', 'message', 'details'] as const

export type EventRow = Row
export interface EventFilter {
  level?: EventLevel | undefined
  text?: string | undefined
}

export function toEntry(r: Row): EventEntry {
  return { id: r.id, at: r.at, level: r.level, source: r.source, message: r.message, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }
}

export class EventLog {
  private readonly db: DatabaseSync
  private readonly insertStmt: StatementSync
  private readonly now: () => number

  constructor(db: DatabaseSync, now: () => number) {
    this.db = db
    this.now = now
    this.insertStmt = db.prepare('INSERT INTO events (at, level, source, message, details) VALUES (?, ?, ?, ?, ?)')
  }

  append(level: EventLevel, source: string, message: string, details?: Record<string, unknown>): void {
    this.insertStmt.run(this.now(), level, source, message, details ? JSON.stringify(details) : null)
  }

  /** The rows a filter selects, newest first: the page lists them, the CSV export walks them all. */
  rows(filter: EventFilter): LogRows {
    return logRows(this.db, 'events', COLUMNS, { text: filter.text, value: filter.level })
  }

  list(query: PageQuery & EventFilter): Page<EventEntry> {
    const text = query.text?.trim()
    return keysetPage<Row, EventEntry>(
      {
        db: this.db,
        scope: { list: 'events', filter: { level: query.level, text } },
        ...this.rows(query),
        map: toEntry,
        idOf: (r) => r.id,
        ...(text ? {} : { total: () => this.count(query.level) }),
      },
      query,
    )
  }

  count(level?: EventLevel): number {
    return keptCount(this.db, 'events', level)
  }

  /** Removes rows older than `before` (at most `limit`, the oldest); returns how many went. */
  prune(before: number, limit?: number): number {
    if (limit === undefined) return Number(this.db.prepare('DELETE FROM events WHERE at < ?').run(before).changes)
    // The oldest first, a chunk at a time: each row's triggers (counts, index, rollup) make a month of rows seconds of work.
    return Number(this.db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)').run(before, limit).changes)
  }
}
