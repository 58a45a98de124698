import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, PRUNE_CHUNK, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { ROWS_PER_TURN } from '../../../src/main/core/logs/log-indexer.ts'
import { indexedUpTo, indexSome, notIndexed } from '../../../src/main/core/logs/log-search.ts'
import type { MailLogEntry, MailLogStatus } from '../../../src/shared/types.ts'
import { removeDir, tempDir, unwrap } from '../../helpers/engine.ts'
import { expectLogCountsMatchRows } from '../../helpers/queue-counts.ts'

// The search index is filled in the background, so writing a log row costs
// no more than the row: a search must still find every row, those logged a
// moment ago (above the mark, read with LIKE) and the old ones (in the
// index), in one newest-first order; the indexer must catch up after a burst
// in a bounded number of turns; and removing rows keeps the index equal to
// the log, whether they were indexed or not.

const START = Date.UTC(2030, 2, 1, 0, 0, 0)
const DAY = 86_400_000

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

/** An engine whose indexer runs only when the test turns it. */
async function open(): Promise<CoreEngine> {
  const dir = tempDir()
  dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'], now: () => START + 40 * DAY })
  engines.push(engine)
  engine.logIndexer.stop()
  return engine
}

function append(engine: CoreEngine, from: number, to: number, recipient: (i: number) => string = (i) => `user${i}@example.com`, status: MailLogStatus = 'sent'): void {
  engine.db.exec('BEGIN')
  for (let i = from; i < to; i++) {
    engine.mailLog.append({ at: START + i * 1000, queueId: (0xd00000000000 + i).toString(16).toUpperCase(), sender: 'alerts@example.test', recipient: recipient(i), status, reply: `250 2.0.0 Ok: queued as R${i}X` })
  }
  engine.db.exec('COMMIT')
}

/** Turns the indexer until it has nothing left; returns how many turns did work. */
function catchUp(engine: CoreEngine, bound = 10_000): number {
  let turns = 0
  while (engine.logIndexer.turn() > 0) {
    turns++
    if (turns > bound) throw new Error(`the indexer did not catch up in ${bound} turns`)
  }
  return turns
}

/**
 * FTS5's check against the log's rows (rank 1): it reads every row of the log, so it holds only once
 * both logs are indexed to their last row; a row above the mark is reported as corruption.
 */
function integrityCheck(engine: CoreEngine): void {
  expect({ mail_log: notIndexed(engine.db, 'mail_log'), events: notIndexed(engine.db, 'events') }).toEqual({ mail_log: 0, events: 0 })
  for (const fts of ['mail_log_fts', 'events_fts']) engine.db.exec(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`)
}

const waitingRows = (engine: CoreEngine): number => notIndexed(engine.db, 'mail_log') + notIndexed(engine.db, 'events')

/** Waits for the engine's own indexer to index both logs to their last row; bounded at 30 s. */
async function indexedByEngine(engine: CoreEngine): Promise<void> {
  // The timer's turns need the event loop, which this loop hands back each time. Events the engine logs
  // a moment after an action (its end, say) are part of what is waited for.
  for (let i = 0; i < 600 && waitingRows(engine) > 0; i++) await new Promise((r) => setTimeout(r, 50))
  expect(waitingRows(engine)).toBe(0)
}

const indexedRows = (engine: CoreEngine): number => (engine.db.prepare('SELECT count(*) AS n FROM mail_log_fts_docsize').get() as { n: number }).n

async function search(engine: CoreEngine, text: string, limit = 500, cursor?: string | null): Promise<{ items: MailLogEntry[]; nextCursor: string | null; total: number }> {
  return unwrap(await engine.call('mailLog.list', { limit, text, ...(cursor ? { cursor } : {}) }))
}

describe('the background search index', () => {
  it('writing a log row does not index it: the indexer does, in its own turn', async () => {
    const engine = await open()
    append(engine, 0, 50)
    // With index triggers on insert, these 50 rows would be in the index already.
    expect(indexedRows(engine)).toBe(0)
    expect(notIndexed(engine.db, 'mail_log')).toBe(50)
    expect(engine.logIndexer.turn()).toBeGreaterThanOrEqual(50)
    expect(indexedRows(engine)).toBe(50)
    expect(indexedUpTo(engine.db, 'mail_log')).toBe(50)
    integrityCheck(engine)
  })

  it('a search finds rows logged a moment ago (not indexed yet) and old ones (indexed), newest first, paged across both', async () => {
    const engine = await open()
    append(engine, 0, 300, (i) => (i % 10 === 0 ? `old-needle${i}@hay.example.net` : `user${i}@example.com`))
    catchUp(engine)
    append(engine, 300, 400, (i) => (i % 10 === 0 ? `new-needle${i}@hay.example.net` : `user${i}@example.com`))
    expect(notIndexed(engine.db, 'mail_log')).toBe(100)

    const all = await search(engine, 'needle')
    const expected = [...Array.from({ length: 40 }, (_, k) => 390 - k * 10)].map((i) => (0xd00000000000 + i).toString(16).toUpperCase())
    expect(all.items.map((e) => e.queueId)).toEqual(expected)
    expect(all.total).toBe(40)
    expect((await search(engine, 'NEW-NEEDLE3')).items.map((e) => e.recipient)).toEqual(['new-needle390@hay.example.net', 'new-needle380@hay.example.net', 'new-needle370@hay.example.net', 'new-needle360@hay.example.net', 'new-needle350@hay.example.net', 'new-needle340@hay.example.net', 'new-needle330@hay.example.net', 'new-needle320@hay.example.net', 'new-needle310@hay.example.net', 'new-needle300@hay.example.net'])
    expect((await search(engine, 'old-needle29')).items.map((e) => e.recipient)).toEqual(['old-needle290@hay.example.net'])
    // Pages of 7 walk from the unindexed rows into the indexed ones without losing or repeating a row.
    const walked: string[] = []
    let cursor: string | null = null
    for (let page = 0; page < 10; page++) {
      const p = await search(engine, 'needle', 7, cursor)
      walked.push(...p.items.map((e) => e.queueId))
      cursor = p.nextCursor
      if (!cursor) break
    }
    expect(walked).toEqual(expected)

    // The same answers once everything is indexed.
    catchUp(engine)
    expect(notIndexed(engine.db, 'mail_log')).toBe(0)
    expect((await search(engine, 'needle')).items.map((e) => e.queueId)).toEqual(expected)
  })

  it(`after a burst of 200,000 rows the index catches up within ${Math.ceil(200_000 / ROWS_PER_TURN) + 1} turns`, async () => {
    const engine = await open()
    append(engine, 0, 200_000)
    const turns = catchUp(engine)
    expect(turns).toBeLessThanOrEqual(Math.ceil(200_000 / ROWS_PER_TURN) + 1)
    expect(notIndexed(engine.db, 'mail_log')).toBe(0)
    expect(indexedRows(engine)).toBe(200_000)
    expect((await search(engine, 'user199999@')).items).toHaveLength(1)
    integrityCheck(engine)
  }, 120_000)

  it("the engine's own indexer catches up with rows logged after it started", async () => {
    const dir = tempDir()
    dirs.push(dir)
    const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    engines.push(engine)
    append(engine, 0, 5000)
    await indexedByEngine(engine)
    integrityCheck(engine)
  }, 60_000)

  it('is held back while Delete Queue runs, and indexes what it logged once it ends', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    engines.push(engine)
    engine.logIndexer.stop()
    // A backlog for the indexer when the action starts: its turns follow each other with no pause.
    append(engine, 0, 20_000)
    engine.queue.submit(Array.from({ length: 3000 }, (_, i) => ({ sender: 'alerts@example.test', subject: `m${i}`, messageId: `<m${i}@example.test>`, raw: Buffer.from('x'), recipients: [`u${i}@example.net`] })))
    const backlog = notIndexed(engine.db, 'mail_log')
    engine.logIndexer.start()
    engine.bulk.chunk = 100
    // Between chunks the event loop is free: without the hold, the indexer's turns would take the rows logged so far.
    const waiting: number[] = []
    const off = engine.on('queue.progress', (p) => {
      if (!p.finished) waiting.push(notIndexed(engine.db, 'mail_log'))
    })
    expect(await engine.bulk.run('deleteAll')).toBe(3000)
    off()
    expect(waiting.length).toBeGreaterThan(20)
    // Nothing was indexed meanwhile: only the action's own rows were added to the backlog.
    expect(waiting).toEqual([...waiting].sort((a, b) => a - b))
    expect(waiting[waiting.length - 1]).toBe(backlog + 3000)
    await indexedByEngine(engine)
    integrityCheck(engine)
  }, 60_000)

  it('once it has caught up with no delivery under way, what indexing wrote leaves the write-ahead log (truncated)', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    engines.push(engine)
    engine.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    append(engine, 0, 3000)
    const wal = () => (existsSync(join(dir, 'queue.sqlite-wal')) ? statSync(join(dir, 'queue.sqlite-wal')).size : 0)
    expect(wal()).toBeGreaterThan(0)
    for (let i = 0; i < 600 && (notIndexed(engine.db, 'mail_log') > 0 || wal() > 0); i++) await new Promise((r) => setTimeout(r, 50))
    expect(notIndexed(engine.db, 'mail_log')).toBe(0)
    expect(wal()).toBe(0)
  }, 60_000)
})

describe('removing log rows keeps the index equal to the log', () => {
  it('retention pruning rows below the mark and above it: integrity-check passes, pruned rows are not found', async () => {
    const engine = await open()
    append(engine, 0, 600, (i) => `r${i}@prune.example.net`)
    // Half indexed, half not.
    expect(indexSome(engine.db, 'mail_log', 300)).toBe(300)
    const mark = indexedUpTo(engine.db, 'mail_log')
    expect(mark).toBeGreaterThan(0)
    expect(notIndexed(engine.db, 'mail_log')).toBeGreaterThan(0)
    // Rows logged before i = 450 go: all the indexed ones and some not indexed yet.
    expect(engine.mailLog.prune(START + 450 * 1000)).toBe(450)
    catchUp(engine)
    integrityCheck(engine)
    expect(indexedRows(engine)).toBe(150)
    expect((await search(engine, 'r449@prune')).items).toEqual([])
    expect((await search(engine, 'r450@prune')).items.map((e) => e.recipient)).toEqual(['r450@prune.example.net'])
  })

  it('when every row goes, rows logged after reuse their ids and are still indexed and found', async () => {
    const engine = await open()
    append(engine, 0, 100, (i) => `gone${i}@example.org`)
    catchUp(engine)
    expect(indexedUpTo(engine.db, 'mail_log')).toBe(100)
    expect(engine.mailLog.prune(START + 1000 * DAY)).toBe(100)
    // SQLite numbers the next row from the highest id left: the mark came down with the rows.
    expect(indexedUpTo(engine.db, 'mail_log')).toBe(0)
    append(engine, 1000, 1010, (i) => `back${i}@example.org`)
    expect((engine.db.prepare('SELECT min(id) AS id FROM mail_log').get() as { id: number }).id).toBe(1)
    expect((await search(engine, 'back100')).items).toHaveLength(10)
    catchUp(engine)
    integrityCheck(engine)
    expect((await search(engine, 'back1009@')).items).toHaveLength(1)
    expect(await search(engine, 'gone')).toMatchObject({ items: [] })
  })

  it('retention prune of many rows runs in chunks with the console answering between them; counts, rollup and index stay equal to the rows', async () => {
    const engine = await open()
    await engine.prune()
    // Kept 30 days: the rows of the first day go, those of day 39 stay (the engine's clock is at day 40).
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), logRetentionDays: 30 } }))
    append(engine, 0, 2 * PRUNE_CHUNK + 500, (i) => `old${i}@prune.example.net`)
    append(engine, 39 * 86_400, 39 * 86_400 + 30, (i) => `kept${i}@prune.example.net`)
    expect(indexSome(engine.db, 'mail_log', PRUNE_CHUNK)).toBe(PRUNE_CHUNK)
    const chunks: number[] = []
    const prune = engine.mailLog.prune.bind(engine.mailLog)
    engine.mailLog.prune = (before: number, limit?: number) => {
      const n = prune(before, limit)
      chunks.push(n)
      return n
    }
    const order: string[] = []
    const pruning = engine.prune().then(() => order.push('pruned'))
    // A timer set after the first chunk fires before the last: the event loop was free between them.
    setTimeout(() => order.push('timer'), 0)
    expect(engine.prune()).toBe(engine.prune())
    await pruning
    expect(order).toEqual(['timer', 'pruned'])
    expect(chunks).toEqual([PRUNE_CHUNK, PRUNE_CHUNK, 500])
    expect(engine.mailLog.count()).toBe(30)
    expectLogCountsMatchRows(engine.db)
    catchUp(engine)
    integrityCheck(engine)
    expect(indexedRows(engine)).toBe(30)
    expect(engine.events.list({ limit: 5 }).items.map((e) => e.message)).toContain(`Removed ${2 * PRUNE_CHUNK + 500} mail log and 0 event log rows older than 30 days.`)
  })
})
