import { DatabaseSync } from 'node:sqlite'
import { dirname } from 'node:path'
import { chmodSync, closeSync, existsSync, fchmodSync, openSync, readSync, statSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { openLogSearch, type LogSearchOptions } from '../logs/log-search.ts'
import { checkpointerOf } from './checkpointer.ts'
import { applyMigration, MIGRATIONS } from './migrations/index.ts'

// One SQLite file holds the queue and both logs. Migrations are numbered and
// run at open; a file that is not ours is refused, never overwritten.

/** 'SMTC' — marks the file as this console's, so a foreign database is not taken for ours. */
export const APPLICATION_ID = 0x534d5443

export class StorageError extends Error {
  override name = 'StorageError'
}

// SQLite's primary result codes (the low byte of an extended code) that say the disk is at fault.
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_FULL = 13

/**
 * A failed read or write of the data directory in the admin's words, or null
 * when the error is not about the disk: full (SQLITE_FULL, ENOSPC), read-only
 * (SQLITE_READONLY, EROFS, EACCES, EPERM) or failing (SQLITE_IOERR).
 */
/**
 * Whether a refused write is the disk's or the lock's trouble, which passes
 * (space freed, a remount, another writer done), rather than a fault in
 * what was written, which would be refused again every time.
 */
export function isPassingWriteTrouble(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const { code, errcode } = err as Error & { code?: string; errcode?: number }
  const primary = typeof errcode === 'number' ? errcode & 0xff : null
  if (primary !== null && [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL].includes(primary)) return true
  return code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
}

export function storageErrorOf(err: unknown, dataDir: string): StorageError | null {
  if (err instanceof StorageError) return err
  if (!(err instanceof Error)) return null
  const { code, errcode } = err as Error & { code?: string; errcode?: number }
  const primary = typeof errcode === 'number' ? errcode & 0xff : null
  if (primary === SQLITE_FULL || code === 'ENOSPC') {
    return new StorageError(
      `The disk holding the data directory ${dataDir} is full (${err.message}). Nothing was changed. ` +
        'Free some space on it: queued mail is kept, and delivery goes on when there is room.',
    )
  }
  if (primary === SQLITE_READONLY || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new StorageError(
      `The data directory ${dataDir} is read-only (${err.message}). Nothing was changed. ` +
        'Make it writable for this user again (check how the disk is mounted and the directory’s permissions), or start SMTP Console with --data-dir pointing elsewhere.',
    )
  }
  if (primary === SQLITE_IOERR) {
    return new StorageError(`The disk holding the data directory ${dataDir} failed to read or write (${err.message}). Nothing was changed. Check the disk; queued mail is kept.`)
  }
  return null
}

const SQLITE_MAGIC = 'SQLite format 3\0'

function looksLikeSqlite(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(16)
    const n = readSync(fd, head, 0, 16, 0)
    return n === 16 && head.toString('latin1') === SQLITE_MAGIC
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens (or creates) the console's database. Refuses, with a StorageError that
 * says what to do, a file that is not SQLite, another program's database, or
 * one written by a newer version of the console. Never deletes anything.
 */
export function openDatabase(path: string, options: LogSearchOptions = {}): DatabaseSync {
  if (!existsSync(path)) {
    try {
      createPrivateFile(path)
    } catch (err) {
      throw storageErrorOf(err, dirname(path)) ?? err
    }
  } else {
    // An empty file is what a truncation leaves; only a write-ahead log beside it can still hold the queue.
    if (statSync(path).size === 0 && !(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0)) {
      throw new StorageError(
        `${path} is empty (0 bytes, and no write-ahead log ${path}-wal beside it): the queue it held is gone or the file was cut short. ` +
          'Nothing was changed. Move the file aside to start with an empty queue, or restore it from a backup.',
      )
    }
    for (const file of [path, `${path}-wal`, `${path}-shm`]) tightenMode(file)
  }
  const exists = statSync(path).size > 0
  if (exists && !looksLikeSqlite(path)) {
    throw new StorageError(
      `${path} is not an SMTP Console database (it is not an SQLite file; it may be damaged). ` +
        'Nothing was changed. Move the file aside to start with an empty queue, or restore it from a backup.',
    )
  }
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path)
    db.exec('PRAGMA busy_timeout = 5000')
  } catch (err) {
    throw storageErrorOf(err, dirname(path)) ?? new StorageError(`Cannot open the database ${path}: ${(err as Error).message}`)
  }
  try {
    const appId = (db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n
    if (appId !== APPLICATION_ID && tables > 0) {
      throw new StorageError(
        `${path} is an SQLite database of another program, not of SMTP Console. Nothing was changed. ` +
          'Point the data directory elsewhere, or move the file aside.',
      )
    }
    if (version > MIGRATIONS.length) {
      throw new StorageError(
        `${path} was written by a newer version of SMTP Console (schema ${version}, this one knows ${MIGRATIONS.length}). ` +
          'Nothing was changed. Use the newer version.',
      )
    }
    if (tables > 0) checkIntegrity(db, exists ? statSync(path).size : 0)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA foreign_keys = OFF')
    // A test email adds ~100 KB of log frames: checkpoint every 1000 pages (~4 MB) so a small disk is not
    // filled by the log, and cut the file back to that size when a large transaction (Delete Queue) grew it.
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`)
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec('BEGIN IMMEDIATE')
      try {
        applyMigration(db, MIGRATIONS[v]!)
        db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
        db.exec(`PRAGMA user_version = ${v + 1}`)
        db.exec('COMMIT')
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      }
    }
    openLogSearch(db, options)
    return db
  } catch (err) {
    db.close()
    if (err instanceof StorageError) throw err
    const message = (err as Error).message
    if (/not a database|malformed|corrupt/i.test(message)) {
      throw new StorageError(
        `${path} is damaged (${message}). Nothing was changed. Move the file aside to start with an empty queue, or restore it from a backup.`,
      )
    }
    throw storageErrorOf(err, dirname(path)) ?? new StorageError(`Cannot open the database ${path}: ${message}`)
  }
}

/**
 * Creates the database file readable and writable by its owner only,
 * whatever the umask: SQLite gives the -wal and -shm files it makes later
 * the mode of this one.
 */
function createPrivateFile(path: string): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    fchmodSync(fd, 0o600)
  } finally {
    closeSync(fd)
  }
}

/** Makes an existing data file 0600 (one written by an older version may be 0644); a file we do not own is left as it is. */
function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600)
  } catch {
    // Missing, or not ours to change: SQLite reports anything that stops it from using the file.
  }
}

const WAL_AUTOCHECKPOINT_PAGES = 1000
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024
/**
 * Pages between checkpoints while a bulk action runs (~64 MB). A chunk of Delete
 * Queue writes more than 1000 pages, so every commit would copy the log into the
 * database and sync it: a million messages spent more time in checkpoints than
 * in their own statements. The log stays bounded, and is cut back to 4 MB by the
 * first checkpoint after the action.
 */
const BULK_AUTOCHECKPOINT_PAGES = 16_384

/** Frames the log may hold between two chunks of a bulk action, while the checkpointer's worker copies them (~32 MB). */
export const BULK_WAL_FRAMES = 8192

/**
 * Between two chunks of a bulk action: once the log holds more than
 * BULK_WAL_FRAMES, waits (without blocking the event loop) until the
 * checkpointer has copied it all, so the next chunk starts the log from its
 * beginning again. Without the wait the log would grow by the whole action:
 * a checkpoint never catches a writer that does not pause (1.2 GB for
 * Delete Queue of a million messages).
 */
export async function walBetweenChunks(db: DatabaseSync): Promise<void> {
  const checkpointer = checkpointerOf(db)
  const wal = checkpointer?.walFrames()
  if (checkpointer && wal && wal.frames > BULK_WAL_FRAMES) await checkpointer.caughtUp()
}

/**
 * The main connection's own checkpoint while a bulk action runs with the checkpointer's
 * worker (~256 MB): out of the way, since the action waits between chunks for the worker
 * (walBetweenChunks); a bound should a single chunk write that much.
 */
const BULK_BACKSTOP_PAGES = 65_536

/** Checkpoints less often while a bulk action runs (`true`), as usual again after it (`false`). */
export function walForBulk(db: DatabaseSync, bulk: boolean): void {
  const pages = !bulk ? WAL_AUTOCHECKPOINT_PAGES : checkpointerOf(db)?.running ? BULK_BACKSTOP_PAGES : BULK_AUTOCHECKPOINT_PAGES
  db.exec(`PRAGMA wal_autocheckpoint = ${pages}`)
}

/**
 * Copies the write-ahead log into the database and truncates it to 0 bytes,
 * giving its space back to the disk. For idle moments: TRUNCATE waits for
 * every reader and writer, which an idle console has none of; PASSIVE would
 * leave the file at its largest. Never waits for another process (busy
 * timeout 0): a reader elsewhere means trying again at the next idle moment.
 * Returns whether the log is empty now.
 */
export function checkpointTruncate(db: DatabaseSync, path: string): boolean {
  if (db.isTransaction) return false
  const wal = `${path}-wal`
  if (!existsSync(wal) || statSync(wal).size === 0) return true
  db.exec('PRAGMA busy_timeout = 0')
  try {
    const row = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number }
    return row.busy === 0
  } catch {
    // A full disk cannot take the pages yet: the log stays, complete, until it can.
    return false
  } finally {
    db.exec('PRAGMA busy_timeout = 5000')
  }
}

/**
 * Makes every transaction committed so far durable, off the event loop: an
 * fsync (fdatasync) of the write-ahead log in libuv's thread pool. A commit
 * in WAL mode writes its frames to the log before it returns, and recovery
 * keeps every commit whose frames are on disk, so a commit made under
 * synchronous=NORMAL followed by this is as durable as one made under
 * synchronous=FULL (which is that same fsync, made inside COMMIT, with the
 * event loop waiting). Frames a checkpoint moved into the database were
 * synced there first (NORMAL syncs the log before a checkpoint and the
 * database after). The directory is synced once, so the log's own entry in
 * it survives a power cut too, as SQLite does at its first sync of a new log.
 * Where the log cannot be opened by name, a checkpoint does the syncing.
 */
export interface WalSyncer {
  sync(): Promise<void>
  /** Closes the log's handle; after the listener stopped, before the database closes. */
  close(): Promise<void>
}

export function walSyncer(db: DatabaseSync, path: string): WalSyncer {
  let directorySynced = process.platform === 'win32'
  // Kept open: SQLite keeps the same log file while a connection is open (a checkpoint truncates it, never replaces it).
  let log: Promise<FileHandle> | null = null
  const syncDirectory = async () => {
    try {
      const dir = await open(dirname(path), 'r')
      try {
        await dir.sync()
      } finally {
        await dir.close()
      }
    } catch {
      // As SQLite's own directory sync, a hint: a file system that refuses it keeps its entries its own way.
    }
    directorySynced = true
  }
  return {
    async sync() {
      try {
        log ??= open(`${path}-wal`, 'r+')
        await (await log).datasync()
      } catch {
        log = null
        db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get()
        return
      }
      if (!directorySynced) await syncDirectory()
    },
    async close() {
      const handle = log
      log = null
      await handle?.then((h) => h.close()).catch(() => undefined)
    },
  }
}

/** Files up to this size get a full structural check at open; larger ones a probe of every table. */
const FULL_CHECK_BYTES = 64 * 1024 * 1024

/**
 * Refuses a damaged file before anything is written to it. A full check
 * reads every page, so a large database only has each table and index read
 * at both ends (its root and edge pages); damage deeper in surfaces as a
 * storage error on the query that meets it.
 */
function checkIntegrity(db: DatabaseSync, size: number): void {
  if (size <= FULL_CHECK_BYTES) {
    const rows = db.prepare('PRAGMA quick_check(5)').all() as { quick_check: string }[]
    if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') throw new Error(`database disk image is malformed: ${rows.map((r) => r.quick_check).join('; ')}`)
    return
  }
  // Not virtual tables: they are read through a module another build may lack; their own tables are checked.
  const objects = db.prepare("SELECT type, name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%'").all() as { type: string; name: string; tbl_name: string }[]
  for (const o of objects) {
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`
    if (o.type === 'table') {
      db.prepare(`SELECT * FROM ${q(o.name)} LIMIT 1`).all()
    } else {
      const cols = (db.prepare(`PRAGMA index_info(${q(o.name)})`).all() as { name: string | null }[]).map((c) => c.name).filter((c): c is string => c !== null)
      if (cols.length) {
        db.prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(o.tbl_name)} INDEXED BY ${q(o.name)} ORDER BY ${cols.map(q).join(', ')} LIMIT 1`).all()
        db.prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(o.tbl_name)} INDEXED BY ${q(o.name)} ORDER BY ${cols.map((c) => `${q(c)} DESC`).join(', ')} LIMIT 1`).all()
      }
    }
  }
}

/** Whether the transaction open on a database, begun by transaction(), commits with synchronous=FULL. */
const openDurable = new WeakMap<DatabaseSync, boolean>()

/**
 * Runs fn in one transaction; `durable` makes this commit reach the disk before
 * returning (synchronous=FULL). Nested, the outer transaction commits for both,
 * so a durable one inside one that is not is refused: it would return before
 * its rows were safe on disk.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T, durable = false): T {
  if (db.isTransaction) {
    if (durable && openDurable.get(db) !== true) {
      throw new Error('A durable transaction cannot run inside one that is not: its commit would not reach the disk before returning.')
    }
    return fn()
  }
  if (durable) db.exec('PRAGMA synchronous = FULL')
  db.exec('BEGIN IMMEDIATE')
  openDurable.set(db, durable)
  try {
    const result = fn()
    db.exec('COMMIT')
    checkpointerOf(db)?.nudge()
    return result
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw err
  } finally {
    openDurable.delete(db)
    if (durable) db.exec('PRAGMA synchronous = NORMAL')
  }
}
