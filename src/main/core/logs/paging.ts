import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import type { Page } from '../../../shared/types.ts'

// Keyset paging newest-first over an integer primary key: a page costs the
// same at depth one million as at the top. A cursor carries the key it starts
// from and the position of its first row, so "51–100 of 12,408" needs no count.
// Since the position is taken on trust, a cursor is signed for the list and
// filter that made it, under a key made when the database was opened: one from
// another list, another filter or an earlier run (or made up) is refused.

export interface PageQuery {
  cursor?: string | null | undefined
  limit: number
}

interface Cursor {
  direction: 'before' | 'after'
  id: number
  position: number
}

/** The rows a cursor walks: which list, filtered how (text trimmed, as the lists search it). */
export interface CursorScope {
  list: 'queue' | 'mailLog' | 'events'
  filter: Record<string, string | undefined>
}

/** A cursor this list did not make: a forged one, another list's, or one from before the console restarted. */
export class StaleCursorError extends Error {
  override name = 'StaleCursorError'
}

export const STALE_CURSOR = 'This page link is out of date or belongs to another list or filter; start again from the first page.'

const keys = new WeakMap<DatabaseSync, Buffer>()

function keyOf(db: DatabaseSync): Buffer {
  let key = keys.get(db)
  if (!key) {
    key = randomBytes(32)
    keys.set(db, key)
  }
  return key
}

function tagOf(db: DatabaseSync, scope: CursorScope, body: string): Buffer {
  const filter = Object.entries(scope.filter)
    .filter(([, v]) => v !== undefined && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
  // 128 bits of HMAC-SHA256: enough that a made-up cursor is never accepted.
  return createHmac('sha256', keyOf(db)).update(JSON.stringify([scope.list, filter, body])).digest().subarray(0, 16)
}

export function encodeCursor(db: DatabaseSync, scope: CursorScope, c: Cursor): string {
  const body = `${c.direction === 'before' ? 'b' : 'a'}.${c.id}.${c.position}`
  return `${body}.${tagOf(db, scope, body).toString('base64url')}`
}

export function decodeCursor(db: DatabaseSync, scope: CursorScope, raw: string | null | undefined): Cursor | null {
  if (!raw) return null
  const m = /^(([ab])\.(\d{1,15})\.(\d{1,15}))\.([A-Za-z0-9_-]{22})$/.exec(raw)
  if (!m || !timingSafeEqual(Buffer.from(m[5]!, 'base64url'), tagOf(db, scope, m[1]!))) throw new StaleCursorError(STALE_CURSOR)
  return { direction: m[2] === 'b' ? 'before' : 'after', id: Number(m[3]), position: Number(m[4]) }
}

/** A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, its own % and _ taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** Rows of a log table, or of one status/level of it, from the counts its triggers keep (db.ts, row_counts). */
export function keptCount(db: DatabaseSync, table: 'mail_log' | 'events', key?: string): number {
  const row = key
    ? db.prepare('SELECT n FROM row_counts WHERE tbl = ? AND k = ?').get(table, key)
    : db.prepare('SELECT coalesce(sum(n), 0) AS n FROM row_counts WHERE tbl = ?').get(table)
  return (row as { n: number } | undefined)?.n ?? 0
}

/** The most rows a filtered count reads before it settles for "more than". */
export const COUNT_CAP = 10_000

export interface KeysetSpec<Row, Item> {
  db: DatabaseSync
  /** What the cursors handed out are good for. */
  scope: CursorScope
  /** `SELECT … FROM t` without WHERE/ORDER; the key column is `idColumn`. */
  select: string
  idColumn: string
  /** Extra conditions, joined with AND, and their values in order. */
  where: string[]
  params: SQLInputValue[]
  map: (row: Row) => Item
  idOf: (row: Row) => number
  /** The number of matching rows, when it can be had cheaply; otherwise counted up to COUNT_CAP. */
  total?: () => number
  countFrom: string
  /** The most rows the count reads (default COUNT_CAP). */
  countCap?: number
}

export function keysetPage<Row, Item>(spec: KeysetSpec<Row, Item>, query: PageQuery): Page<Item> {
  const cursor = decodeCursor(spec.db, spec.scope, query.cursor)
  const limit = query.limit
  const where = [...spec.where]
  const params = [...spec.params]
  let order = 'DESC'
  if (cursor) {
    where.push(`${spec.idColumn} ${cursor.direction === 'before' ? '<' : '>'} ?`)
    params.push(cursor.id)
    if (cursor.direction === 'after') order = 'ASC'
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : ''
  // One row more than asked tells whether there is a further page.
  const rows = spec.db
    .prepare(`${spec.select}${clause} ORDER BY ${spec.idColumn} ${order} LIMIT ?`)
    .all(...params, limit + 1) as Row[]
  const more = rows.length > limit
  let pageRows = rows.slice(0, limit)
  let position = 0
  let hasNewer: boolean
  let hasOlder: boolean
  if (!cursor) {
    hasNewer = false
    hasOlder = more
  } else if (cursor.direction === 'before') {
    position = cursor.position
    hasNewer = true
    hasOlder = more
  } else {
    pageRows = pageRows.reverse()
    if (!more) {
      // Reached the newest rows: show a full first page rather than a short one.
      return keysetPage(spec, { limit })
    }
    position = Math.max(0, cursor.position - limit)
    hasNewer = true
    hasOlder = true
  }
  const items = pageRows.map(spec.map)
  let total: number
  let totalExact = true
  if (spec.total) {
    total = spec.total()
  } else if (!cursor && !more) {
    // The first page holds every matching row: counting them again would walk the same rows (a search with
    // few or no hits at 10M rows walks its index lists to their ends, once for the page and once for the count).
    total = items.length
  } else {
    const cap = spec.countCap ?? COUNT_CAP
    const counted = (
      spec.db
        .prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${spec.countFrom}${spec.where.length ? ` WHERE ${spec.where.join(' AND ')}` : ''} LIMIT ${cap + 1})`)
        .get(...spec.params) as { n: number }
    ).n
    total = Math.min(counted, cap)
    totalExact = counted <= cap
  }
  total = Math.max(total, position + items.length)
  const first = pageRows[0]
  const last = pageRows[pageRows.length - 1]
  return {
    items,
    total,
    totalExact,
    position,
    nextCursor: hasOlder && last ? encodeCursor(spec.db, spec.scope, { direction: 'before', id: spec.idOf(last), position: position + items.length }) : null,
    prevCursor: hasNewer && first ? encodeCursor(spec.db, spec.scope, { direction: 'after', id: spec.idOf(first), position }) : null,
  }
}
