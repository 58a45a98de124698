import { afterEach, describe, expect, it } from 'vitest'
import { DatabaseSync } from 'node:sqlite'
import { renameSync } from 'node:fs'
import { join } from 'node:path'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { INDEXED_COUNT_CAP, logSearchMode } from '../../../src/main/core/logs/log-search.ts'
import { APPLICATION_ID } from '../../../src/main/core/storage/db.ts'
import { applyMigration, MIGRATIONS } from '../../../src/main/core/storage/migrations/index.ts'
import type { EventEntry, MailLogEntry, MailLogStatus } from '../../../src/shared/types.ts'
import { removeDir, tempDir, unwrap } from '../../helpers/engine.ts'

// Mail Log and Logs search through the trigram index (and, where SQLite has
// no FTS5, through LIKE): any substring of 3+ characters of an address, a
// queue id, a reply or an event's text is found, any case, newest first; and
// the index stays equal to the log through pruning, Delete Queue and upgrades.

const START = Date.UTC(2030, 2, 1, 0, 0, 0)
const DAY = 86_400_000

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

type Mode = 'auto' | 'like'

async function open(logSearch: Mode, dir = tempDir()): Promise<CoreEngine> {
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'], logSearch, now: () => START + 40 * DAY })
  engines.push(engine)
  return engine
}

async function closeEngine(engine: CoreEngine): Promise<void> {
  engines.splice(engines.indexOf(engine), 1)
  await engine.close()
}

interface Seed {
  queueId: string
  sender: string
  recipient: string
  status: MailLogStatus
  reply: string | null
  at: number
}

// The needles sit among many rows that share their domains and words, so a
// search that matched too much or too little would show.
const NEEDLES: Seed[] = [
  { queueId: 'A1B2C3D4E5F6', sender: 'Backup-Agent@Ops.Example.Test', recipient: 'oncall.team@pager.example.net', status: 'sent', reply: '250 2.0.0 Ok: queued as 7QX9Z2KLM', at: START + 10 * DAY },
  { queueId: '0F0E0D0C0B0A', sender: 'alerts@example.test', recipient: 'finance-reports@corp.example.org', status: 'bounced', reply: '550 5.7.1 <finance-reports@corp.example.org>: Relay access DENIED by policy 42%_off', at: START + 11 * DAY },
  { queueId: '123456ABCDEF', sender: 'alerts@example.test', recipient: 'greylist-me@slow.example.com', status: 'deferred', reply: '451 4.7.1 Greylisted, see https://grey.example.com/why', at: START + 12 * DAY },
]

function filler(i: number): Seed {
  return {
    queueId: (0xc00000000000 + i).toString(16).toUpperCase(),
    sender: 'alerts@example.test',
    recipient: `user${i}@example.com`,
    status: i % 3 === 0 ? 'deferred' : 'sent',
    reply: i % 3 === 0 ? '421 4.4.2 Connection timed out' : `250 2.0.0 Ok: queued as F${i}`,
    at: START + i * 60_000,
  }
}

function append(engine: CoreEngine, rows: Seed[]): void {
  engine.db.exec('BEGIN')
  for (const r of rows) engine.mailLog.append({ ...r, relay: 'mx.example.net[192.0.2.10]:25', size: 1200 })
  engine.db.exec('COMMIT')
}

function seed(engine: CoreEngine): void {
  append(engine, Array.from({ length: 300 }, (_, i) => filler(i)))
  append(engine, NEEDLES)
  append(engine, Array.from({ length: 300 }, (_, i) => filler(300 + i)))
}

async function search(engine: CoreEngine, text: string, status?: MailLogStatus): Promise<MailLogEntry[]> {
  return unwrap(await engine.call('mailLog.list', { limit: 500, text, ...(status ? { status } : {}) })).items
}

const ids = (items: MailLogEntry[]) => items.map((e) => e.queueId)

/** Lets the indexer catch up (bounded), then FTS5's own check that the index holds exactly what the log holds (external content). */
function indexMatchesLog(engine: CoreEngine): void {
  for (let turns = 0; engine.logIndexer.turn() > 0; turns++) expect(turns).toBeLessThan(1000)
  for (const fts of ['mail_log_fts', 'events_fts']) engine.db.exec(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`)
}

describe.each<Mode>(['auto', 'like'])('Mail Log search (%s)', (mode) => {
  it(mode === 'auto' ? 'uses the trigram index here (Node 24 has FTS5 with trigram)' : 'reads the log with LIKE, as SQLite without FTS5 does', async () => {
    const engine = await open(mode)
    expect(logSearchMode(engine.db)).toBe(mode === 'auto' ? 'fts' : 'like')
    const plan = (engine.db.prepare(`EXPLAIN QUERY PLAN ${sqlOf(engine, 'greylist')}`).all() as { detail: string }[]).map((r) => r.detail).join('\n')
    if (mode === 'auto') expect(plan).toMatch(/VIRTUAL TABLE INDEX/)
    else expect(plan).not.toMatch(/VIRTUAL TABLE/)
  })

  it('finds substrings at the start, middle and end of senders, recipients, replies and queue ids, in any case', async () => {
    const engine = await open(mode)
    seed(engine)
    const cases: [string, string][] = [
      // sender
      ['backup-agent', 'A1B2C3D4E5F6'],
      ['AGENT@ops', 'A1B2C3D4E5F6'],
      ['ops.example.test', 'A1B2C3D4E5F6'],
      // recipient
      ['oncall.t', 'A1B2C3D4E5F6'],
      ['EAM@PAGER', 'A1B2C3D4E5F6'],
      ['corp.example.org', '0F0E0D0C0B0A'],
      // reply
      ['451 4.7', '123456ABCDEF'],
      ['relay access denied', '0F0E0D0C0B0A'],
      ['grey.example.com/why', '123456ABCDEF'],
      ['7qx9z2klm', 'A1B2C3D4E5F6'],
      // queue id: start, middle, end, whole
      ['0f0e0d', '0F0E0D0C0B0A'],
      ['56ABCD', '123456ABCDEF'],
      ['E5F6', 'A1B2C3D4E5F6'],
      ['a1b2c3d4e5f6', 'A1B2C3D4E5F6'],
    ]
    for (const [text, queueId] of cases) expect(ids(await search(engine, text)), text).toEqual([queueId])
  })

  it('finds an old row by a long text whose rare trigrams the newest thousand rows lack, any case', async () => {
    const engine = await open(mode)
    seed(engine)
    // The rarest trigrams are picked from a sample of rows: here none of the newest holds the needle's words.
    append(engine, Array.from({ length: 1200 }, (_, i) => filler(600 + i)))
    if (mode === 'auto') indexMatchesLog(engine)
    for (const text of ['finance-reports@corp', 'Relay ACCESS denied by POLICY', 'Ok: queued as 7QX9Z2KLM']) {
      expect(ids(await search(engine, text)), text).toEqual([text.startsWith('Ok') ? 'A1B2C3D4E5F6' : '0F0E0D0C0B0A'])
    }
  })

  it('takes % and _ literally, as the LIKE search did', async () => {
    const engine = await open(mode)
    seed(engine)
    expect(ids(await search(engine, '42%_off'))).toEqual(['0F0E0D0C0B0A'])
    expect(await search(engine, '42%off')).toEqual([])
    expect(await search(engine, 'user_1@')).toEqual([])
    expect(await search(engine, 'y 4%')).toEqual([])
  })

  it('finds one or two characters too (the index needs three: these read the log)', async () => {
    const engine = await open(mode)
    seed(engine)
    expect(ids(await search(engine, '7Q'))).toEqual(['A1B2C3D4E5F6'])
    expect((await search(engine, '%')).map((e) => e.queueId)).toEqual(['0F0E0D0C0B0A'])
  })

  it('combines the search with Status, newest first, and pages it with the same cursors and totals', async () => {
    const engine = await open(mode)
    seed(engine)
    const deferred = await search(engine, 'example.com', 'deferred')
    const expected = [...Array.from({ length: 600 }, (_, i) => filler(i)), NEEDLES[2]!]
      .filter((r) => r.status === 'deferred')
      .sort((a, b) => b.at - a.at)
    // Rows appear newest first by when they were logged (id), which here is 300 fillers, the needles, 300 fillers.
    expect(deferred.map((e) => e.queueId).sort()).toEqual(expected.map((r) => r.queueId).sort())
    expect(deferred.every((e) => e.status === 'deferred')).toBe(true)
    const idsInOrder = deferred.map((e) => e.id)
    expect(idsInOrder).toEqual([...idsInOrder].sort((a, b) => b - a))

    const first = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'example.com', status: 'deferred' }))
    expect(first).toMatchObject({ total: expected.length, totalExact: true, position: 0 })
    const second = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'example.com', status: 'deferred', cursor: first.nextCursor }))
    expect(second.position).toBe(50)
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(idsInOrder.slice(0, 100))
    // A cursor from this search is not good for another.
    const other = await engine.call('mailLog.list', { limit: 50, text: 'example.org', status: 'deferred', cursor: first.nextCursor })
    expect(other.ok).toBe(false)
  })
})

function sqlOf(engine: CoreEngine, text: string): string {
  const r = engine.mailLog.rows({ text })
  // Parameters inlined for EXPLAIN: the plan is what matters, not the values.
  let i = 0
  const inline = (sql: string) => sql.replace(/\?/g, () => `'${String(r.params[i++]).replace(/'/g, "''")}'`)
  const select = inline(r.select)
  return `${select}${r.where.length ? ` WHERE ${inline(r.where.join(' AND '))}` : ''} ORDER BY ${r.idColumn} DESC LIMIT 51`
}

describe('Logs search', () => {
  it.each<Mode>(['auto', 'like'])('finds substrings of an event message, its source and details, in any case, with Level (%s)', async (mode) => {
    const engine = await open(mode)
    const at = (i: number) => i
    for (let i = 0; i < 200; i++) engine.events.append(i % 2 ? 'info' : 'warning', 'delivery', `Attempt ${i} finished`, { n: at(i) })
    engine.events.append('error', 'settings', 'The settings file /var/lib/smtp/settings.json could not be read', { fields: ['relayHost'] })
    engine.events.append('warning', 'retention', 'Removed 12 mail log rows older than 30 days.')
    const find = async (text: string, level?: 'info' | 'warning' | 'error'): Promise<EventEntry[]> =>
      unwrap(await engine.call('events.list', { limit: 500, text, ...(level ? { level } : {}) })).items
    expect((await find('THE SETTINGS')).map((e) => e.source)).toEqual(['settings'])
    expect((await find('settings.json could')).map((e) => e.source)).toEqual(['settings'])
    expect((await find('be read')).map((e) => e.source)).toEqual(['settings'])
    expect((await find('RETENT')).map((e) => e.source)).toEqual(['retention'])
    expect((await find('relayhost')).map((e) => e.source)).toEqual(['settings'])
    expect((await find('older than 30 days.', 'warning')).map((e) => e.source)).toEqual(['retention'])
    expect(await find('older than 30 days.', 'error')).toEqual([])
    expect((await find('finished', 'warning')).length).toBe(100)
  })
})

describe('the index stays equal to the log', () => {
  it('after retention removes old rows: pruned rows are no longer found, kept ones are', async () => {
    const engine = await open('auto')
    seed(engine)
    engine.events.append('info', 'test', 'an event from long ago: ancient-marker')
    engine.db.prepare("UPDATE events SET at = ? WHERE message LIKE '%ancient-marker%'").run(START)
    expect(ids(await search(engine, 'oncall.team'))).toEqual(['A1B2C3D4E5F6'])
    // What retention does: every row logged before day 11 goes, the first needle with it.
    const before = START + 11 * DAY
    expect(engine.mailLog.prune(before)).toBeGreaterThan(0)
    expect(engine.events.prune(before)).toBeGreaterThan(0)
    indexMatchesLog(engine)
    expect(await search(engine, 'oncall.team')).toEqual([])
    expect(await search(engine, 'user1@example')).toEqual([])
    expect(ids(await search(engine, 'corp.example.org'))).toEqual(['0F0E0D0C0B0A'])
    expect(unwrap(await engine.call('events.list', { limit: 50, text: 'ancient-marker' })).items).toEqual([])
  })

  it('after Delete Queue: each removal is logged and found by its recipient, status deleted', async () => {
    const engine = await open('auto')
    const queued = await engine.submit(Array.from({ length: 30 }, (_, i) => ({ to: [`doomed${i}@purge.example.net`], subject: `m${i}`, text: 'x' })))
    expect(unwrap(await engine.call('queue.deleteAll', undefined)).count).toBe(30)
    indexMatchesLog(engine)
    const deleted = await search(engine, 'purge.example', 'deleted')
    expect(deleted.map((e) => e.queueId).sort()).toEqual(queued.map((q) => q.queueId).sort())
    expect(ids(await search(engine, 'DOOMED17@'))).toEqual(ids(await search(engine, 'doomed17@')))
    expect(await search(engine, 'doomed17@', 'deleted')).toHaveLength(1)
  })

  it('a database made before the index (schema 3, rows in it) opens, is migrated and its rows are found', async () => {
    const dir = tempDir()
    const first = await open('auto', dir)
    seed(first)
    first.events.append('error', 'delivery', 'Old event: relay refused the password')
    await closeEngine(first)
    // The same rows in a file as migrations 1–3 leave it (no index, no later tables): schema 3.
    const file = join(dir, 'queue.sqlite')
    const newer = join(dir, 'newer.sqlite')
    renameSync(file, newer)
    const db = new DatabaseSync(file)
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
    for (const migration of MIGRATIONS.slice(0, 3)) applyMigration(db, migration)
    db.exec(`ATTACH '${newer}' AS newer`)
    // Migration 8's subject is not in a schema-3 file.
    db.exec('INSERT INTO mail_log SELECT id, at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause FROM newer.mail_log; INSERT INTO events SELECT * FROM newer.events')
    db.exec('DETACH newer')
    db.exec('PRAGMA user_version = 3')
    expect((db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '%fts%'").get() as { n: number }).n).toBe(0)
    db.close()

    const engine = await open('auto', dir)
    expect((engine.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.length)
    indexMatchesLog(engine)
    expect(ids(await search(engine, 'Agent@Ops'))).toEqual(['A1B2C3D4E5F6'])
    expect(ids(await search(engine, 'access denied'))).toEqual(['0F0E0D0C0B0A'])
    expect(unwrap(await engine.call('events.list', { limit: 50, text: 'refused the pass' })).items.map((e) => e.source)).toEqual(['delivery'])
  })

  it('rows logged while a SQLite without FTS5 had the file are indexed when one with it opens the file again', async () => {
    const dir = tempDir()
    const plain = await open('like', dir)
    seed(plain)
    // Without the module, the triggers that would write the index are gone, so writing the log never needs it.
    expect((plain.db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%fts%'").get() as { n: number }).n).toBe(0)
    append(plain, [{ ...filler(9999), recipient: 'late-arrival@after.example.net' }])
    await closeEngine(plain)

    const engine = await open('auto', dir)
    expect(logSearchMode(engine.db)).toBe('fts')
    indexMatchesLog(engine)
    expect(await search(engine, 'late-arrival')).toHaveLength(1)
    expect(ids(await search(engine, 'oncall.team'))).toEqual(['A1B2C3D4E5F6'])
  })
})

describe('totals of a search', () => {
  it(`through the index are counted up to ${INDEXED_COUNT_CAP.toLocaleString('en')}, then said to be "more than"`, async () => {
    const engine = await open('auto')
    append(engine, Array.from({ length: INDEXED_COUNT_CAP + 50 }, (_, i) => filler(i)))
    const page = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'example.com' }))
    expect(page).toMatchObject({ total: INDEXED_COUNT_CAP, totalExact: false, position: 0 })
    const few = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'user10@' }))
    expect(few).toMatchObject({ total: 1, totalExact: true })
  })
})

describe('the trigrams a search asks of the index', () => {
  it('ranks a search’s trigrams by what the whole log holds, not by the newest rows alone', async () => {
    const engine = await open('auto')
    // A month of mail to alpha-team, then the last minutes' rows, all to omega-desk: the newest rows alone
    // would call alpha's trigrams rare, and the index would walk their long lists.
    const row = (i: number, recipient: string): Seed => ({ ...filler(i), recipient })
    append(engine, Array.from({ length: 3000 }, (_, i) => row(i, `alpha-team${i % 7}@example.com`)))
    append(engine, Array.from({ length: 1000 }, (_, i) => row(3000 + i, `omega-desk${i % 7}@example.com`)))
    const match = String(engine.mailLog.rows({ text: 'alphaomega' }).params[0])
    for (const rare of ['hao', 'aom']) expect(match).toContain(`"${rare}"`)
    for (const common of ['alp', 'lph', 'pha']) expect(match).not.toContain(`"${common}"`)
    expect(await search(engine, 'alphaomega')).toEqual([])
  })
})
