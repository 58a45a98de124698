import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import { containsPattern } from './paging.ts'
import { checkpointerOf } from '../storage/checkpointer.ts'

// Text search of the Mail Log and Logs. Where SQLite has FTS5 with the trigram
// tokenizer (Node's own build enables FTS5, in its gyp and in the GN build
// Electron uses), each log has an external-content trigram index, so any
// substring of 3+ characters is found through the index, newest first,
// without reading the table. Elsewhere, and for 1–2 characters (a trigram
// index cannot match fewer than three), the search reads the table with LIKE.
//
// The index is filled in the background, not by a trigger on insert: indexing
// a row costs about three times writing it, and a Delete Queue of a million
// messages writes a million rows. Each log's rows up to its mark (meta
// 'log_indexed:<table>') are in the index; a search reads the index up to the
// mark and the few rows above it with LIKE, so it is complete at every moment.

export type LogTable = 'mail_log' | 'events'

/** How a database searches its logs: decided at each open, since the same file may be opened by another build. */
export type LogSearchMode = 'fts' | 'like'

/** The columns each log's search looks in: the same for the index and for LIKE, so both find the same rows. */
export const SEARCHED_COLUMNS: Record<LogTable, readonly string[]> = {
  mail_log: ['queue_id', 'sender', 'recipient', 'reply', 'subject'],
  events: ['message', 'source', 'details'],
}

/**
 * The column each log's page filters by exact value (Status, Level). The index
 * holds it too, so a search for a common text among rare bounces is an
 * intersection in the index rather than a walk through every match.
 */
export const FILTER_COLUMN = { mail_log: 'status', events: 'level' } as const satisfies Record<LogTable, string>

const indexOf = (table: LogTable): string => `${table}_fts`

/** The meta key of a log's mark: every row with an id up to it, and none above it, is in the index. */
export const markKey = (table: LogTable): string => `log_indexed:${table}`

const markSql = (table: LogTable): string => `(SELECT CAST(v AS INTEGER) FROM meta WHERE k = '${markKey(table)}')`

/** The columns migration 4 indexed, kept as released: migration 8 added the Mail Log's subject. */
const MIGRATION_4_COLUMNS: Record<LogTable, readonly string[]> = {
  mail_log: ['queue_id', 'sender', 'recipient', 'reply'],
  events: ['message', 'source', 'details'],
}

function indexedColumns(table: LogTable, searched: Record<LogTable, readonly string[]> = SEARCHED_COLUMNS): string[] {
  return [...searched[table], FILTER_COLUMN[table]]
}

/**
 * A log's index, empty, its mark at 0, and the triggers that keep it equal to
 * the log where rows are removed or changed: FTS5's 'delete' command (which
 * needs the values that were indexed) for rows up to the mark; rows above it
 * were never indexed. When the rows at the top are removed, the mark comes
 * down to the highest id left, since SQLite gives a new row the highest id
 * plus one and it must land above the mark.
 */
function indexSql(table: LogTable, searched: Record<LogTable, readonly string[]> = SEARCHED_COLUMNS): string {
  const fts = indexOf(table)
  const cols = indexedColumns(table, searched)
  const list = cols.join(', ')
  const values = (row: 'NEW' | 'OLD') => cols.map((c) => `${row}.${c}`).join(', ')
  const mark = markSql(table)
  return `
    CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(${list}, content='${table}', content_rowid='id', tokenize='trigram');
    INSERT INTO meta (k, v) VALUES ('${markKey(table)}', '0') ON CONFLICT (k) DO UPDATE SET v = '0';
    CREATE TRIGGER IF NOT EXISTS ${fts}_del AFTER DELETE ON ${table} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${list}) SELECT 'delete', OLD.id, ${values('OLD')} WHERE OLD.id <= ${mark};
      UPDATE meta SET v = CAST(coalesce((SELECT max(id) FROM ${table}), 0) AS TEXT)
        WHERE k = '${markKey(table)}' AND OLD.id >= CAST(v AS INTEGER) AND coalesce((SELECT max(id) FROM ${table}), 0) < CAST(v AS INTEGER);
    END;
    CREATE TRIGGER IF NOT EXISTS ${fts}_upd AFTER UPDATE ON ${table} WHEN OLD.id <= ${mark} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${list}) VALUES ('delete', OLD.id, ${values('OLD')});
      INSERT INTO ${fts} (rowid, ${list}) VALUES (NEW.id, ${values('NEW')});
    END;
  `
}

const TRIGGERS = (table: LogTable) => ['del', 'upd'].map((t) => `${indexOf(table)}_${t}`)

/** Migration 4's SQL: both logs' trigram indexes, empty, and their triggers; the indexer fills them from the rows there. */
export const LOG_SEARCH_SQL = indexSql('mail_log', MIGRATION_4_COLUMNS) + indexSql('events', MIGRATION_4_COLUMNS)

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
   * not remove log rows through them). For tests and for a damaged index;
   * the next open without it empties the index and the indexer fills it again.
   */
  logSearch?: 'auto' | 'like' | undefined
}

/**
 * Called at every open, after the migrations: uses the indexes where this
 * SQLite has trigram FTS5, (re)making any that is missing or was left
 * without its triggers; otherwise drops the triggers so that removing log
 * rows never needs a module this SQLite lacks.
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
      // Rows may have gone while the triggers were missing: empty the index and let the indexer fill it again.
      const emptyIndex = names.has(indexOf(table)) ? `INSERT INTO ${indexOf(table)} (${indexOf(table)}) VALUES ('delete-all');` : ''
      inTransaction(db, () => db.exec(emptyIndex + indexSql(table)))
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
    checkpointerOf(db)?.nudge()
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

/** How many of a search's trigrams the index is asked for; the rows it finds are checked with LIKE. */
export const TRIGRAMS_ASKED = 3
/** The rows, from across the log, in which each trigram of a search is counted, to find the rarest. */
export const TRIGRAM_SAMPLE_ROWS = 1000

/**
 * Rows of a log, folded, in which rarestTrigrams counts a search's trigrams:
 * SAMPLE_BLOCKS runs of rows spread evenly over the whole log, so the ranking
 * reflects what the index holds (a month), not only the last minutes, whose
 * traffic may look nothing like it (a Delete Queue's thousand rows, one
 * script's mail). Kept while the log has not moved on much: it only ranks
 * trigrams, the search stays exact.
 */
interface Sample {
  newestId: number
  at: number
  rows: string[]
}
const samples = new WeakMap<DatabaseSync, Map<LogTable, Sample>>()
const SAMPLE_BLOCKS = 20
/** Rows logged, and time passed, before the sample is read again. */
const SAMPLE_REUSE_ROWS = TRIGRAM_SAMPLE_ROWS / 10
const SAMPLE_REUSE_MS = 60_000

function logSample(db: DatabaseSync, table: LogTable): string[] {
  // Two subqueries: SQLite answers min() or max() alone from the key's ends, but reads every row for both at once.
  const span = db.prepare(`SELECT coalesce((SELECT min(id) FROM ${table}), 0) AS first, coalesce((SELECT max(id) FROM ${table}), 0) AS last`).get() as { first: number; last: number }
  let byTable = samples.get(db)
  if (!byTable) samples.set(db, (byTable = new Map()))
  const kept = byTable.get(table)
  const now = Date.now()
  if (kept && span.last >= kept.newestId && span.last - kept.newestId < SAMPLE_REUSE_ROWS && now - kept.at < SAMPLE_REUSE_MS) return kept.rows
  const cols = SEARCHED_COLUMNS[table]
  const perBlock = Math.ceil(TRIGRAM_SAMPLE_ROWS / SAMPLE_BLOCKS)
  const block = db.prepare(`SELECT ${cols.map((c) => `coalesce(${c}, '')`).join(` || char(0) || `)} AS t FROM ${table} WHERE id >= ? ORDER BY id LIMIT ${perBlock}`)
  const rows: string[] = []
  // Each block a seek and a short run of rows: the last one ends at the newest row.
  const stride = Math.max(0, span.last - span.first - perBlock) / (SAMPLE_BLOCKS - 1)
  for (let b = 0; b < SAMPLE_BLOCKS && rows.length < TRIGRAM_SAMPLE_ROWS; b++) {
    for (const r of block.all(Math.floor(span.first + b * stride)) as { t: string }[]) rows.push(r.t.toLowerCase())
  }
  // The trigram tokenizer folds case (its default), so the sample is compared folded too.
  const sample = { newestId: span.last, at: now, rows }
  byTable.set(table, sample)
  return sample.rows
}

/**
 * The match for `text`: all its trigrams as one phrase when it has few,
 * otherwise the TRIGRAMS_ASKED rarest in a sample of TRIGRAM_SAMPLE_ROWS
 * rows from across the log (logSample), ANDed. FTS5 walks every token's list to match a phrase, and a long
 * search is mostly trigrams every row has ("use", "exa", "000"): asking for
 * a few rare ones finds a small superset of the rows, and the search's LIKE
 * keeps exactly the matching ones. The sample is read from the table, not
 * asked of the index: a trigram's hits cost the index a walk down its
 * whole list when they are few (FTS5 does not stop a descending walk at a
 * rowid bound), ~2 ms a trigram at 10M rows, where reading a thousand rows
 * and looking in them costs well under one.
 */
function rarestTrigrams(db: DatabaseSync, table: LogTable, text: string): string {
  const chars = [...text]
  // Asked of the index as typed (the tokenizer folds case itself); told apart and counted folded.
  const byFolded = new Map(chars.slice(0, -2).map((_, i) => chars.slice(i, i + 3).join('')).map((t) => [t.toLowerCase(), t]))
  if (byFolded.size <= TRIGRAMS_ASKED) return phraseOf(text)
  const sample = logSample(db, table)
  const counted = [...byFolded].map(([folded, t]) => ({ t, n: sample.reduce((n, row) => (row.includes(folded) ? n + 1 : n), 0) }))
  counted.sort((a, b) => a.n - b.n)
  return counted
    .slice(0, TRIGRAMS_ASKED)
    .map((c) => phraseOf(c.t))
    .join(' AND ')
}

/** The fewest characters the trigram index can find; shorter searches read the log. */
export const MIN_INDEXED_CHARS = 3

/** What a log's page is filtered by: text anywhere in the searched columns, and one value of its Status or Level. */
export interface LogFilter {
  text?: string | undefined
  /** The value of FILTER_COLUMN that rows must have. */
  value?: string | undefined
}

/** A log's mark: its rows with ids up to here are in the index, none above. */
export function indexedUpTo(db: DatabaseSync, table: LogTable): number {
  const row = db.prepare(`SELECT ${markSql(table)} AS mark`).get() as { mark: number | null }
  return row.mark ?? 0
}

/**
 * The rows of `table` whose searched columns hold `text` (trimmed; none when
 * empty), any case, and whose Status or Level is `value`, selecting `columns`.
 * Through the index: the index's matches up to the mark, and the rows above
 * it read with LIKE (the few logged since the indexer's last turn), merged
 * newest first by id. The index drives its part of the walk in rowid order
 * (CROSS JOIN keeps SQLite from reading the log and asking the index row by
 * row); the index finds a superset (a few of the text's trigrams, one of
 * the value's), and the exact LIKE and Status comparisons keep what matches.
 */
export function logRows(db: DatabaseSync, table: LogTable, columns: readonly string[], filter: LogFilter): LogRows {
  const t = filter.text?.trim() ?? ''
  const cols = SEARCHED_COLUMNS[table]
  // The conditions, their columns prefixed where the index's columns share their names.
  const valueIs = (p = '') => (filter.value ? [`${p}${FILTER_COLUMN[table]} = ?`] : [])
  const valueParams = filter.value ? [filter.value] : []
  const contains = (p = '') => `(${cols.map((c) => `${p}${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`
  const containsParams = cols.map(() => containsPattern(t))
  if (t && logSearchMode(db) === 'fts' && [...t].length >= MIN_INDEXED_CHARS) {
    const fts = indexOf(table)
    const mark = indexedUpTo(db, table)
    let match = `{${cols.join(' ')}} : ${rarestTrigrams(db, table, t)}`
    // One trigram of the value is enough to narrow by Status or Level: the exact comparison is in SQL.
    if (filter.value) match += ` AND ${FILTER_COLUMN[table]} : ${phraseOf([...filter.value].slice(0, 3).join(''))}`
    // The index's arm selects its rowid as the key: ordered by it, FTS5 hands the matches newest first without a sort.
    const indexed = `SELECT ${columns.map((c) => (c === 'id' ? `${fts}.rowid AS id` : `${table}.${c} AS ${c}`)).join(', ')}
      FROM ${fts} CROSS JOIN ${table} ON ${table}.id = ${fts}.rowid
      WHERE ${[`${fts} MATCH ?`, `${fts}.rowid <= ?`, ...valueIs(`${table}.`), contains(`${table}.`)].join(' AND ')}`
    const tail = `SELECT ${columns.join(', ')} FROM ${table} WHERE ${['id > ?', ...valueIs(), contains()].join(' AND ')}`
    const both = `(${indexed} UNION ALL ${tail})`
    return {
      select: `SELECT ${columns.join(', ')} FROM ${both}`,
      idColumn: 'id',
      countFrom: both,
      where: [],
      params: [match, mark, ...valueParams, ...containsParams, mark, ...valueParams, ...containsParams],
      countCap: INDEXED_COUNT_CAP,
    }
  }
  const plain = { select: `SELECT ${columns.join(', ')} FROM ${table}`, idColumn: 'id', countFrom: table }
  return t ? { ...plain, where: [...valueIs(), contains()], params: [...valueParams, ...containsParams] } : { ...plain, where: valueIs(), params: valueParams }
}

/**
 * Indexes up to `maxRows` rows of `table` above its mark, oldest first, and
 * moves the mark past them, in one transaction; returns how many. Skips (0)
 * while another transaction is open, whose rows are not final yet.
 */
export function indexSome(db: DatabaseSync, table: LogTable, maxRows: number): number {
  if (logSearchMode(db) !== 'fts' || db.isTransaction) return 0
  let done = 0
  inTransaction(db, () => {
    const mark = indexedUpTo(db, table)
    const upTo = (db.prepare(`SELECT max(id) AS id, count(*) AS n FROM (SELECT id FROM ${table} WHERE id > ? ORDER BY id LIMIT ?)`).get(mark, maxRows) as { id: number | null; n: number })
    if (upTo.id === null) return
    const fts = indexOf(table)
    const list = indexedColumns(table).join(', ')
    db.prepare(`INSERT INTO ${fts} (rowid, ${list}) SELECT id, ${list} FROM ${table} WHERE id > ? AND id <= ?`).run(mark, upTo.id)
    db.prepare('UPDATE meta SET v = ? WHERE k = ?').run(String(upTo.id), markKey(table))
    done = upTo.n
  })
  return done
}

/** How many rows of `table` are not in its index yet (0 where the logs are read with LIKE). */
export function notIndexed(db: DatabaseSync, table: LogTable): number {
  if (logSearchMode(db) !== 'fts') return 0
  return (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE id > ?`).get(indexedUpTo(db, table)) as { n: number }).n
}
