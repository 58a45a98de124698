import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { startNode } from '../../helpers/child.ts'
import { BACKSTOP_FRAMES, CHECKPOINT_FRAMES, Checkpointer, checkpointerOf } from '../../../src/main/core/storage/checkpointer.ts'
import { BULK_WAL_FRAMES, openDatabase, transaction, walBetweenChunks, walForBulk } from '../../../src/main/core/storage/db.ts'

// The write-ahead log is copied into the database by a worker thread with its
// own connection, so no commit on the main thread pays for a checkpoint. Real
// SQLite files; the worker is a real thread.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

function openTemp(): { db: DatabaseSync; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-ckpt-'))
  const path = join(dir, 'queue.sqlite')
  const db = openDatabase(path)
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)')
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => db.close())
  return { db, path }
}

/** Writes about `pages` pages of the log, one transaction per ~64 KB, as many small commits do. */
function writePages(db: DatabaseSync, pages: number): void {
  const blob = Buffer.alloc(60 * 1024, 7)
  for (let i = 0; i < Math.ceil(pages / 16); i++) transaction(db, () => db.prepare('INSERT INTO blobs (b) VALUES (?)').run(blob))
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('the checkpointer', () => {
  it('reads the log’s frames from the wal-index as SQLite itself counts them', () => {
    const { db, path } = openTemp()
    const cp = new Checkpointer(db, path)
    cleanups.push(() => cp.stop())
    writePages(db, 300)
    const before = cp.walFrames()!
    const r = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number; checkpointed: number }
    expect(before.frames).toBe(r.log)
    expect(before.frames).toBeGreaterThan(250)
    expect(before.backfilled).toBe(0)
    expect(cp.walFrames()).toEqual({ frames: r.log, backfilled: r.checkpointed })
  })

  it('copies the log on its own thread once enough frames wait, before the main connection’s own checkpoint would', async () => {
    const { db, path } = openTemp()
    const cp = new Checkpointer(db, path)
    cleanups.push(() => cp.stop())
    expect(checkpointerOf(db)).toBe(cp)
    expect((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(BACKSTOP_FRAMES)
    // Past the worker's threshold, below the main connection's: only the worker can have copied it.
    writePages(db, CHECKPOINT_FRAMES + 300)
    const wal = cp.walFrames()!
    expect(wal.frames).toBeGreaterThan(CHECKPOINT_FRAMES)
    expect(wal.frames).toBeLessThan(BACKSTOP_FRAMES)
    await until(() => cp.walFrames()!.backfilled >= CHECKPOINT_FRAMES)
    await cp.caughtUp()
    const done = cp.walFrames()!
    expect(done.backfilled).toBe(done.frames)
    // Everything copied: the next commit starts the log from its beginning again.
    transaction(db, () => db.prepare('INSERT INTO blobs (b) VALUES (?)').run(Buffer.alloc(10)))
    expect(cp.walFrames()!.frames).toBeLessThan(10)
  })

  it('lets a bulk action wait between chunks until the log is copied, so the log stays bounded', async () => {
    const { db, path } = openTemp()
    const cp = new Checkpointer(db, path, { frames: BULK_WAL_FRAMES * 10 }) // never nudged: only the wait copies
    cleanups.push(() => cp.stop())
    walForBulk(db, true)
    expect((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBeGreaterThan(BULK_WAL_FRAMES * 2)
    writePages(db, BULK_WAL_FRAMES / 2)
    await walBetweenChunks(db)
    expect(cp.walFrames()!.backfilled).toBe(0) // below the bound: no wait, nothing copied
    writePages(db, BULK_WAL_FRAMES / 2 + 200)
    expect(cp.walFrames()!.frames).toBeGreaterThan(BULK_WAL_FRAMES)
    await walBetweenChunks(db)
    const wal = cp.walFrames()!
    expect(wal.backfilled).toBe(wal.frames)
    walForBulk(db, false)
    expect((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(BACKSTOP_FRAMES)
  })

  it('hands checkpoints back to the main connection when stopped, and the data is whole', async () => {
    const { db, path } = openTemp()
    const cp = new Checkpointer(db, path)
    writePages(db, CHECKPOINT_FRAMES + 100)
    await cp.caughtUp()
    expect(cp.walFrames()!.backfilled).toBeGreaterThan(CHECKPOINT_FRAMES)
    await cp.stop()
    expect(cp.running).toBe(false)
    expect(checkpointerOf(db)).toBeUndefined()
    expect((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(BACKSTOP_FRAMES)
    // A stopped checkpointer neither waits nor copies.
    writePages(db, 100)
    await cp.caughtUp()
    expect(cp.walFrames()!.backfilled).toBe(0)
    const rows = (db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n
    expect(rows).toBe(Math.ceil((CHECKPOINT_FRAMES + 100) / 16) + Math.ceil(100 / 16))
    expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok')
  })

  it('holds the process until its worker has exited, even with a step’s answer still on its way', async () => {
    const child = startNode(['test/helpers/checkpointer-child.ts'])
    const code = await child.exited
    expect(child.stderr()).not.toMatch(/unsettled top-level await/)
    expect(code, child.stderr()).toBe(0)
    expect(child.stdout()).toBe('stopped\n')
  })
})
