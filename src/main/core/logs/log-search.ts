import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import { containsPattern } from './paging.ts'

// Text search of the Mail Log and Logs. Where SQLite has FTS5 with the trigram
// tokenizer (Node's own build enables FTS5, in its gyp and in the GN build
// Electron uses), each log has an external-content trigram index kept by
// triggers, so any substring of 3+ characters is found through the index,
// newest first, without reading the table. Elsewhere, and for 1–2 characters
// (a trigram index cannot match fewer than three), the search reads the
// table with LIKE, as before.

export type LogTable = 'mail_log' | 'events'

/** How a database searches its logs: decided at each open, since the same file may be opened by another build. */
export type LogSearchMode = 'fts' | 'like'

/** The columns each log's search looks in: the same for the index and for LIKE, so both find the same rows. */
export const SEARCHED_COLUMNS: Record<LogTable, readonly string[]> = {
  mail_log: ['queue_id', 'sender', 'recipient', 'reply'],
  events: ['message', 'source', 'details'],
}

/**
 * The column each log's page filters by exact value (Status, Level). The index
 * holds it too, so a search for a common text among rare bounces is an
 * intersection in the index rather than a walk through every match.
 */
export const FILTER_COLUMN = { mail_log: 'status', events: 'level' } as const satisfies Record<LogTable, string>

const indexOf = (table: LogTable): string => `${table}_fts`

function indexSql(table: LogTable): string {
  const fts = indexOf(table)
  const cols = [...SEARCHED_COLUMNS[table], FILTER_COLUMN[table]]
  const list = cols.join(', ')
  const values = (row: 'NEW' | 'OLD') => cols.map((c) => `${row}.${c}`).join(', ')
  // The 'delete' command needs the values that were indexed; rows are never updated today, but an update keeps the index right too.
  return `
    CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(${list}, content='${table}', content_rowid='id', tokenize='trigram');
    CREATE TRIGGER IF NOT EXISTS ${fts}_ins AFTER INSERT ON ${table} BEGIN
      INSERT INTO ${fts} (rowid, ${list}) VALUES (NEW.id, ${values('NEW')});
    END;
    CREATE TRIGGER IF NOT EXISTS ${fts}_del AFTER DELETE ON ${table} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${list}) VALUES ('delete', OLD.id, ${values('OLD')});
    END;
    CREATE TRIGGER IF NOT EXISTS ${fts}_upd AFTER UPDATE ON ${table} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${list}) VALUES ('delete', OLD.id, ${values('OLD')});
      INSERT INTO ${fts} (rowid, ${list}) VALUES (NEW.id, ${values('NEW')});
    END;
    INSERT INTO ${fts} (${fts}) VALUES ('rebuild');
  `
}

const TRIGGERS = (table: LogTable) => ['ins', 'del', 'upd'].map((t) => `${indexOf(table)}_${t}`)

/**
 * Migration 4's SQL: both logs' trigram indexes, their triggers, and the
 * index filled from the rows already there. Also what repairs an index whose
 * triggers were dropped (a build without FTS5 opened the file): 'rebuild'
 * reads the whole log again.
 */
export const LOG_SEARCH_SQL = indexSql('mail_log') + indexSql('events')

/** Whether this SQLite has FTS5 and its trigram tokenizer; tried on a temporary table, so the file is not touched. */
export function trigramAvailable(db: DatabaseSync): boolean {
  try {
    db.exec("CREATE VIRTUAL TABLE temp.log_search_probe USING fts5(x, tokenize='trigram')")
    db.exec('DROP TABLE temp.log_search_probe')
    return true
  } catch {
    return false
  }
}

/** Migration 4: the indexes, where this SQLite can make them; elsewhere openLogSearch makes them when a build that can opens the file. */
export function migrateLogSearch(db: DatabaseSync): void {
  if (trigramAvailable(db)) db.exec(LOG_SEARCH_SQL)
}

const modes = new WeakMap<DatabaseSync, LogSearchMode>()

export interface LogSearchOptions {
  /**
   * 'like' behaves as a SQLite without FTS5 does: the logs are searched with
   * LIKE and the index triggers are dropped (a build without the module could
   * not write the log through them). For tests and for a damaged index;
   * the next open without it rebuilds the index.
   */
  logSearch?: 'auto' | 'like' | undefined
}

/**
 * Called at every open, after the migrations: uses the indexes where this
 * SQLite has trigram FTS5, (re)making any that is missing or was left
 * without its triggers; otherwise drops the triggers so that writing the
 * log never needs a module this SQLite lacks.
 */
export function openLogSearch(db: DatabaseSync, options: LogSearchOptions = {}): LogSearchMode {
  const names = new Set(
    (db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'trigger') AND name LIKE '%fts%'").all() as { name: string }[]).map((r) => r.name),
  )
  const tables: LogTable[] = ['mail_log', 'events']
  let mode: LogSearchMode
  if (options.logSearch !== 'like' && trigramAvailable(db)) {
    for (const table of tables) {
      if (names.has(indexOf(table)) && TRIGGERS(table).every((t) => names.has(t))) continue
      inTransaction(db, () => db.exec(indexSql(table)))
    }
    mode = 'fts'
  } else {
    for (const table of tables) {
      const present = TRIGGERS(table).filter((t) => names.has(t))
      if (present.length) inTransaction(db, () => db.exec(present.map((t) => `DROP TRIGGER ${t};`).join('\n')))
    }
    mode = 'like'
  }
  modes.set(db, mode)
  return mode
}

function inTransaction(db: DatabaseSync, fn: () => void): void {
  db.exec('BEGIN IMMEDIATE')
  try {
    fn()
    db.exec('COMMIT')
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

export function logSearchMode(db: DatabaseSync): LogSearchMode {
  return modes.get(db) ?? 'like'
}

/** The rows of a log a filter selects, as the pieces paging.ts's keysetPage and the CSV export put together. */
export interface LogRows {
  /** `SELECT … FROM …` without WHERE or ORDER BY. */
  select: string
  /** The key to page on, newest first: the log's id, or the index's rowid (the same number). */
  idColumn: string
  /** What a count reads: the FROM part of `select`. */
  countFrom: string
  where: string[]
  params: SQLInputValue[]
  /** The most matching rows a page's total counts before it says "more than" (paging.ts). */
  countCap?: number
}

/** An FTS5 string (a phrase): the trigram tokenizer matches it as a substring, every character literal. */
export function phraseOf(text: string): string {
  return `"${text.replace(/"/g, '""')}"`
}

/**
 * A search's total through the index is counted up to here: reading a
 * match costs more in the index than in a table, and past a thousand the
 * admin narrows the search rather than counts ("1–50 of more than 1,000").
 */
export const INDEXED_COUNT_CAP = 1000

/** The fewest characters the trigram index can find; shorter searches read the log. */
export const MIN_INDEXED_CHARS = 3

/** What a log's page is filtered by: text anywhere in the searched columns, and one value of its Status or Level. */
export interface LogFilter {
  text?: string | undefined
  /** The value of FILTER_COLUMN that rows must have. */
  value?: string | undefined
}

/**
 * The rows of `table` whose searched columns hold `text` (trimmed; none when
 * empty), any case, and whose Status or Level is `value`, selecting `columns`.
 * Through the index, the index drives the walk (CROSS JOIN keeps SQLite from
 * reading the log in id order and asking the index row by row), newest first
 * by its rowid; the exact comparison stays, since the index matches the
 * value as a substring.
 */
export function logRows(db: DatabaseSync, table: LogTable, columns: readonly string[], filter: LogFilter): LogRows {
  const t = filter.text?.trim() ?? ''
  const where: string[] = []
  const params: SQLInputValue[] = []
  if (filter.value) {
    where.push(`${FILTER_COLUMN[table]} = ?`)
    params.push(filter.value)
  }
  if (t && logSearchMode(db) === 'fts' && [...t].length >= MIN_INDEXED_CHARS) {
    const fts = indexOf(table)
    const from = `${fts} CROSS JOIN ${table} ON ${table}.id = ${fts}.rowid`
    let match = `{${SEARCHED_COLUMNS[table].join(' ')}} : ${phraseOf(t)}`
    if (filter.value) match += ` AND ${FILTER_COLUMN[table]} : ${phraseOf(filter.value)}`
    return {
      select: `SELECT ${columns.map((c) => `${table}.${c} AS ${c}`).join(', ')} FROM ${from}`,
      idColumn: `${fts}.rowid`,
      countFrom: from,
      where: [`${fts} MATCH ?`, ...where.map((w) => `${table}.${w}`)],
      params: [match, ...params],
      countCap: INDEXED_COUNT_CAP,
    }
  }
  const plain = { select: `SELECT ${columns.join(', ')} FROM ${table}`, idColumn: 'id', countFrom: table }
  if (t) {
    const cols = SEARCHED_COLUMNS[table]
    where.push(`(${cols.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`)
    params.push(...cols.map(() => containsPattern(t)))
  }
  return { ...plain, where, params }
}
