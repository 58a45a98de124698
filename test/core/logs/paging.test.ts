import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { INDEXED_COUNT_CAP } from '../../../src/main/core/logs/log-search.ts'
import { parseRequest } from '../../../src/shared/api.ts'
import type { EventEntry, EventLevel, MailLogEntry, MailLogStatus, Page } from '../../../src/shared/types.ts'
import { removeDir, tempDir, unwrap } from '../../helpers/engine.ts'

// The Mail Log and Logs pages over real rows: newest first, Next and Prev
// walk every row exactly once, and the "x–y of N" the admin reads is right.

const START = Date.UTC(2030, 2, 1, 0, 0, 0)
const ROWS = 1234

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(): Promise<CoreEngine> {
  const dir = tempDir()
  dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

interface Row {
  queueId: string
  recipient: string
  status: MailLogStatus
  at: number
}

function row(i: number): Row {
  const status: MailLogStatus = i % 10 === 0 ? 'bounced' : i % 3 === 0 ? 'deferred' : 'sent'
  return { queueId: (0xa00000000000 + i).toString(16).toUpperCase(), recipient: `user${i}@example${i % 7}.test`, status, at: START + i * 1000 }
}

/** Appends rows `from`..`to`-1 in one transaction, as the queue does. */
function appendRows(engine: CoreEngine, from: number, to: number, make: (i: number) => Row = row): void {
  engine.db.exec('BEGIN')
  for (let i = from; i < to; i++) {
    const r = make(i)
    engine.mailLog.append({ ...r, sender: 'alerts@example.test', relay: 'mx.example.net[192.0.2.10]:25', size: 1200, dsn: r.status === 'sent' ? '2.0.0' : '4.7.1' })
  }
  engine.db.exec('COMMIT')
}

async function seeded(): Promise<CoreEngine> {
  const engine = await open()
  appendRows(engine, 0, ROWS)
  return engine
}

/** The rows, newest first, as the admin should see them. */
function expected(filter: (r: Row) => boolean = () => true): Row[] {
  return Array.from({ length: ROWS }, (_, i) => row(i))
    .filter(filter)
    .reverse()
}

const seen = (items: MailLogEntry[]) => items.map((e) => ({ queueId: e.queueId, recipient: e.recipient, status: e.status, at: e.at }))

type MailLogQuery = { limit: number; status?: MailLogStatus; text?: string }

/** Follows Next from the first page to the last; bounded so a cursor loop fails instead of hanging. */
async function walkNext(engine: CoreEngine, query: MailLogQuery): Promise<Page<MailLogEntry>[]> {
  const pages: Page<MailLogEntry>[] = []
  let cursor: string | null = null
  for (let i = 0; i < 200; i++) {
    const page: Page<MailLogEntry> = unwrap(await engine.call('mailLog.list', { ...query, cursor }))
    pages.push(page)
    if (!page.nextCursor) return pages
    cursor = page.nextCursor
  }
  throw new Error('Next never reached the last page')
}

function sqlCount(engine: CoreEngine, table: 'mail_log' | 'events', where = '1 = 1', ...params: string[]): number {
  return (engine.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number }).n
}

describe('mail log paging', () => {
  it('page one is the newest 50 of 1,234, at position 0, with Next and no Prev', async () => {
    const engine = await seeded()
    const page = unwrap(await engine.call('mailLog.list', { limit: 50 }))
    expect(page).toMatchObject({ total: ROWS, totalExact: true, position: 0, prevCursor: null })
    expect(page.nextCursor).toEqual(expect.any(String))
    expect(seen(page.items)).toEqual(expected().slice(0, 50))
    expect(page.items[0]).toMatchObject({ relay: 'mx.example.net[192.0.2.10]:25', size: 1200, sender: 'alerts@example.test' })
  })

  it('Next walks every row exactly once, 50 at a time, positions 0, 50, 100 …', async () => {
    const engine = await seeded()
    const pages = await walkNext(engine, { limit: 50 })
    expect(pages).toHaveLength(25)
    expect(pages.map((p) => p.position)).toEqual(Array.from({ length: 25 }, (_, i) => i * 50))
    expect(pages.map((p) => p.items.length)).toEqual([...Array<number>(24).fill(50), 34])
    expect(pages.every((p) => p.total === ROWS && p.totalExact)).toBe(true)
    expect(pages.slice(1).every((p) => p.prevCursor !== null)).toBe(true)
    const all = pages.flatMap((p) => p.items)
    expect(seen(all)).toEqual(expected())
    expect(new Set(all.map((e) => e.id)).size).toBe(ROWS)
  })

  it('Prev from page 3 gives page 2 exactly, and from page 2 the first page', async () => {
    const engine = await seeded()
    const [p1, p2, p3] = (await walkNext(engine, { limit: 50 })).slice(0, 3)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, cursor: p3!.prevCursor }))).toEqual(p2)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, cursor: p2!.prevCursor }))).toEqual(p1)
  })

  it('Prev from the last page walks back through every page the same as Next', async () => {
    const engine = await seeded()
    const forward = await walkNext(engine, { limit: 50 })
    const back: Page<MailLogEntry>[] = [forward[forward.length - 1]!]
    for (let i = 0; i < 100 && back[0]!.prevCursor; i++) {
      back.unshift(unwrap(await engine.call('mailLog.list', { limit: 50, cursor: back[0]!.prevCursor })))
    }
    expect(back).toEqual(forward)
  })

  it('new rows arriving while the admin pages do not shift or repeat the older rows', async () => {
    const engine = await seeded()
    const p1 = unwrap(await engine.call('mailLog.list', { limit: 50 }))
    appendRows(engine, ROWS, ROWS + 10)
    const p2 = unwrap(await engine.call('mailLog.list', { limit: 50, cursor: p1.nextCursor }))
    expect(p2.position).toBe(50)
    expect(seen(p2.items)).toEqual(expected().slice(50, 100))
    expect(p2.total).toBe(ROWS + 10)
  })

  it.each(['bounced', 'deferred', 'sent'] as const)('the %s filter counts and walks exactly its rows', async (status) => {
    const engine = await seeded()
    const want = expected((r) => r.status === status)
    expect(want.length).toBe(sqlCount(engine, 'mail_log', 'status = ?', status))
    const pages = await walkNext(engine, { limit: 100, status })
    expect(pages.every((p) => p.total === want.length && p.totalExact)).toBe(true)
    expect(pages.map((p) => p.position)).toEqual(Array.from({ length: Math.ceil(want.length / 100) }, (_, i) => i * 100))
    expect(seen(pages.flatMap((p) => p.items))).toEqual(want)
  })

  it('a status with no rows is an empty page with total 0', async () => {
    const engine = await seeded()
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, status: 'expired' }))).toEqual({
      items: [],
      total: 0,
      totalExact: true,
      position: 0,
      nextCursor: null,
      prevCursor: null,
    })
  })

  it('the search finds a queue id (in any case) and an address, with exact totals', async () => {
    const engine = await seeded()
    const target = row(777)
    for (const text of [target.queueId, target.queueId.toLowerCase()]) {
      const page = unwrap(await engine.call('mailLog.list', { limit: 50, text }))
      expect(page).toMatchObject({ total: 1, totalExact: true, position: 0, nextCursor: null })
      expect(seen(page.items)).toEqual([target])
    }

    const byAddress = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'user12@' }))
    expect(seen(byAddress.items)).toEqual([row(12)])

    const domain = expected((r) => r.recipient.endsWith('@example3.test'))
    const pages = await walkNext(engine, { limit: 50, text: 'example3.test' })
    expect(pages.every((p) => p.total === domain.length && p.totalExact)).toBe(true)
    expect(seen(pages.flatMap((p) => p.items))).toEqual(domain)

    const both = unwrap(await engine.call('mailLog.list', { limit: 500, text: 'example3.test', status: 'bounced' }))
    const want = expected((r) => r.status === 'bounced' && r.recipient.endsWith('@example3.test'))
    expect(both.total).toBe(want.length)
    expect(seen(both.items)).toEqual(want)

    // LIKE wildcards typed by the admin are taken literally.
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, text: 'user_2@' })).total).toBe(0)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, text: '%' })).total).toBe(0)
  })

  it('a search matching more than its count reads says "more than", while the unfiltered total stays exact', async () => {
    const engine = await open()
    const bulk = 10_050
    appendRows(engine, 0, bulk, (i) => ({ ...row(i), recipient: `list${i}@bulk.example.net` }))
    appendRows(engine, bulk, bulk + 20)
    const page = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'bulk.example.net' }))
    // Through the trigram index a search counts up to 1,000 (log-search.ts); reading the log, up to 10,000.
    expect(page).toMatchObject({ total: INDEXED_COUNT_CAP, totalExact: false, position: 0 })
    expect(page.items.every((e) => e.recipient.endsWith('@bulk.example.net'))).toBe(true)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50 }))).toMatchObject({ total: bulk + 20, totalExact: true })
  })

  it('totals stay right after old rows are pruned', async () => {
    const engine = await seeded()
    expect(engine.mailLog.prune(START + 234 * 1000)).toBe(234)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50 })).total).toBe(1000)
    for (const status of ['bounced', 'deferred', 'sent'] as const) {
      expect(unwrap(await engine.call('mailLog.list', { limit: 50, status })).total).toBe(sqlCount(engine, 'mail_log', 'status = ?', status))
    }
    const pages = await walkNext(engine, { limit: 50 })
    expect(seen(pages.flatMap((p) => p.items))).toEqual(expected().slice(0, 1000))
  })

  it.each(['garbage', 'b.12', 'x.1.0', 'b.-1.0', 'b.1.0; DROP TABLE mail_log'])('the cursor %j is an invalid request, not a crash', async (cursor) => {
    const engine = await seeded()
    const result = await engine.call('mailLog.list', { cursor, limit: 50 })
    expect(result.ok ? null : result.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^This page link is out of date or belongs to another list/),
      // The field tells the window to go back to the newest page.
      fields: { cursor: expect.stringMatching(/out of date/) },
    })
    const events = await engine.call('events.list', { cursor, limit: 50 })
    expect(events.ok ? null : events.error.code).toBe('invalid_request')
    expect(sqlCount(engine, 'mail_log')).toBe(ROWS)
  })

  it('a cursor is good only for the list and filter that handed it out', async () => {
    const engine = await seeded()
    await engine.submit(Array.from({ length: 60 }, (_, i) => ({ to: [`q${i}@example.net`], subject: `q${i}`, text: 'x' })))
    engine.db.exec('BEGIN')
    for (let i = 0; i < 120; i++) engine.events.append('info', 'queue', `event ${i}`)
    engine.db.exec('COMMIT')
    const refused = async (method: 'mailLog.list' | 'events.list' | 'queue.list', request: Record<string, unknown>) => {
      const result = await engine.call(method, { limit: 50, ...request })
      return result.ok ? `accepted at position ${(result.data as Page<unknown>).position} of ${(result.data as Page<unknown>).total}` : result.error
    }
    const stale = { code: 'invalid_request', message: expect.stringMatching(/out of date or belongs to another list/) }

    const mail = unwrap(await engine.call('mailLog.list', { limit: 50 })).nextCursor
    const events = unwrap(await engine.call('events.list', { limit: 50 })).nextCursor
    const queue = unwrap(await engine.call('queue.list', { limit: 50 })).nextCursor
    const sentOnly = unwrap(await engine.call('mailLog.list', { limit: 50, status: 'sent' })).nextCursor
    const searched = unwrap(await engine.call('mailLog.list', { limit: 50, text: 'example3.test' })).nextCursor
    // Each is good where it came from, even with the search typed with spaces around it.
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, cursor: mail })).position).toBe(50)
    expect(unwrap(await engine.call('events.list', { limit: 50, cursor: events })).position).toBe(50)
    expect(unwrap(await engine.call('queue.list', { limit: 50, cursor: queue })).position).toBe(50)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, status: 'sent', cursor: sentOnly })).position).toBe(50)
    expect(unwrap(await engine.call('mailLog.list', { limit: 50, text: ' example3.test ', cursor: searched })).position).toBe(50)

    // And nowhere else: another list, another filter, another search.
    expect(await refused('events.list', { cursor: mail })).toMatchObject(stale)
    expect(await refused('queue.list', { cursor: mail })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: events })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: queue })).toMatchObject(stale)
    expect(await refused('queue.list', { cursor: queue, state: 'hold' })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: sentOnly })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: sentOnly, status: 'bounced' })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: mail, status: 'sent' })).toMatchObject(stale)
    expect(await refused('mailLog.list', { cursor: searched, text: 'example4.test' })).toMatchObject(stale)
    expect(await refused('events.list', { cursor: events, level: 'error' })).toMatchObject(stale)
  })

  it('a made-up cursor is refused, never shown as a page at a made-up position', async () => {
    const engine = await seeded()
    const next = unwrap(await engine.call('mailLog.list', { limit: 50 })).nextCursor!
    const [direction, id, position, tag] = next.split('.')
    expect(position).toBe('50')
    for (const forged of [
      `${direction}.${id}.9999999999999999`,
      `${direction}.${id}.9999999999999999.${tag}`,
      `${direction}.${id}.999999999999999.${tag}`,
      `${direction}.${Number(id) - 1}.${position}.${tag}`,
      `a.${id}.${position}.${tag}`,
      `${direction}.${id}.${position}`,
      `${direction}.${id}.${position}.${'A'.repeat(22)}`,
    ]) {
      const result = await engine.call('mailLog.list', { limit: 50, cursor: forged })
      expect(result.ok ? `accepted: total ${result.data.total}` : result.error.code, forged).toBe('invalid_request')
    }
  })

  it('a cursor from before the database was opened again is out of date', async () => {
    const engine = await seeded()
    const next = unwrap(await engine.call('mailLog.list', { limit: 50 })).nextCursor
    const dir = engine.dataDir
    await engine.close()
    engines.splice(engines.indexOf(engine), 1)
    const again = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    engines.push(again)
    const result = await again.call('mailLog.list', { limit: 50, cursor: next })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/start again from the first page/) })
    expect(unwrap(await again.call('mailLog.list', { limit: 50 }))).toMatchObject({ total: ROWS, position: 0 })
  })

  it('a page size beyond 500 or an over-long cursor is refused by the schema, per field', () => {
    const big = parseRequest('mailLog.list', { limit: 501 })
    expect(big.ok ? null : Object.keys(big.error.fields!)).toEqual(['limit'])
    const long = parseRequest('mailLog.list', { limit: 50, cursor: 'b.'.repeat(150) })
    expect(long.ok ? null : Object.keys(long.error.fields!)).toEqual(['cursor'])
    const status = parseRequest('mailLog.list', { limit: 50, status: 'lost' })
    expect(status.ok ? null : Object.keys(status.error.fields!)).toEqual(['status'])
  })
})

describe('event log paging', () => {
  const LEVELS: EventLevel[] = ['info', 'warning', 'error']

  async function withEvents(): Promise<CoreEngine> {
    const engine = await open()
    engine.db.exec('BEGIN')
    for (let i = 0; i < 300; i++) engine.events.append(LEVELS[i % 3]!, i % 2 ? 'delivery' : 'queue', `event ${i}: ${LEVELS[i % 3]}`, { n: i })
    engine.db.exec('COMMIT')
    return engine
  }

  async function walkEvents(engine: CoreEngine, level: EventLevel | undefined, limit: number): Promise<Page<EventEntry>[]> {
    const pages: Page<EventEntry>[] = []
    let cursor: string | null = null
    for (let i = 0; i < 100; i++) {
      const page: Page<EventEntry> = unwrap(await engine.call('events.list', { limit, cursor, ...(level ? { level } : {}) }))
      pages.push(page)
      if (!page.nextCursor) return pages
      cursor = page.nextCursor
    }
    throw new Error('Next never reached the last page')
  }

  it.each(LEVELS)('the %s level counts and walks exactly its events, newest first', async (level) => {
    const engine = await withEvents()
    const total = sqlCount(engine, 'events', 'level = ?', level)
    expect(total).toBeGreaterThanOrEqual(100)
    const pages = await walkEvents(engine, level, 60)
    expect(pages.every((p) => p.total === total && p.totalExact)).toBe(true)
    const items = pages.flatMap((p) => p.items)
    expect(items).toHaveLength(total)
    expect(items.every((e) => e.level === level)).toBe(true)
    const ids = items.map((e) => e.id)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    const ours = items.filter((e) => e.message.startsWith('event '))
    expect(ours).toHaveLength(100)
    expect(ours[0]).toMatchObject({ message: `event ${297 + LEVELS.indexOf(level)}: ${level}`, details: { n: 297 + LEVELS.indexOf(level) } })
  })

  it('all events together match the table, and the search finds by message and by source', async () => {
    const engine = await withEvents()
    const pages = await walkEvents(engine, undefined, 100)
    expect(pages[0]!.total).toBe(sqlCount(engine, 'events'))
    expect(pages.flatMap((p) => p.items)).toHaveLength(sqlCount(engine, 'events'))

    const one = unwrap(await engine.call('events.list', { limit: 50, text: 'event 123:' }))
    expect(one).toMatchObject({ total: 1, totalExact: true })
    expect(one.items[0]).toMatchObject({ message: 'event 123: info', source: 'delivery' })

    const errorsFromQueue = unwrap(await engine.call('events.list', { limit: 500, level: 'error', text: 'queue' }))
    expect(errorsFromQueue.items.every((e) => e.level === 'error' && (e.source === 'queue' || /queue/i.test(e.message)))).toBe(true)
    expect(errorsFromQueue.items.filter((e) => e.message.startsWith('event '))).toHaveLength(50)
  })
})
