import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { localDate } from '../../../src/shared/calendar.ts'
import { openPostfixLogs, type PostfixLogIndex } from '../../../src/main/postfix/logs/log-index.ts'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../../../src/main/postfix/tools.ts'
import { pflogsumm, PFLOGSUMM } from '../../helpers/postfix.ts'

// The log index over a real file read through the real Runner (stat and dd as
// child processes): the captured Postfix log (fixtures/capture.ts), whole and
// in pieces, across appends, partial lines, restarts, rotation and truncation.

const FIXTURE_FILE = join(import.meta.dirname, 'fixtures', 'postfix-3.7.log')
const FIXTURE = readFileSync(FIXTURE_FILE, 'utf8')
const LINES = FIXTURE.split('\n').filter(Boolean)
/** The capture was made on 29 November 2026; read a few days later. */
const NOW = new Date(2026, 11, 2, 12, 0).getTime()
const DAY = '2026-11-29'

const dirs: string[] = []
const open: PostfixLogIndex[] = []

afterEach(async () => {
  for (const i of open.splice(0)) await i.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function setup(): { dir: string; log: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-pflog-'))
  dirs.push(dir)
  return { dir, log: join(dir, 'mail.log'), dataDir: dir }
}

async function index(dataDir: string, log: string, options: { chunkBytes?: number; intervalMs?: number } = {}): Promise<PostfixLogIndex> {
  const i = await openPostfixLogs({ dataDir, tools: new PostfixTools({ runner: new LocalRunner() }), source: { kind: 'file', path: log }, now: () => NOW, intervalMs: 0, ...options })
  open.push(i)
  return i
}

async function reopen(i: PostfixLogIndex, dataDir: string, log: string): Promise<PostfixLogIndex> {
  await i.close()
  open.splice(open.indexOf(i), 1)
  return index(dataDir, log)
}

/** Every Mail Log row and event, as the pages show them, in order. */
function dump(i: PostfixLogIndex): unknown[] {
  return [
    ...i.db.prepare('SELECT at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, cause FROM mail_log ORDER BY id').all(),
    ...i.db.prepare('SELECT at, level, source, message FROM events ORDER BY id').all(),
  ]
}

const statusCounts = (i: PostfixLogIndex) =>
  Object.fromEntries((i.db.prepare('SELECT status, count(*) AS n FROM mail_log GROUP BY status').all() as { status: string; n: number }[]).map((r) => [r.status, r.n]))

const unwrap = <T>(r: { ok: true; data: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error))
  return r.data
}

const qidOf = (pattern: RegExp) => new RegExp(`([0-9A-F]{6,}): ${pattern.source}`).exec(FIXTURE)![1]!

describe('the log index over the captured Postfix log', () => {
  it('writes a Mail Log row for each message received and each outcome, and events for the server’s problems', async () => {
    const { log, dataDir } = setup()
    writeFileSync(log, FIXTURE)
    const i = await index(dataDir, log)
    expect(await i.catchUp()).toBe(LINES.length)
    expect(statusCounts(i)).toEqual({ received: 6, sent: 5, deferred: 4, bounced: 1, expired: 1, held: 2, released: 1, deleted: 1 })

    const bounced = qidOf(/to=<r@reject\.test>/)
    expect(i.outcomes(bounced)).toEqual([expect.objectContaining({ recipient: 'r@reject.test', status: 'bounced', reply: expect.stringContaining('550 5.1.1') as string })])
    const expired = qidOf(/to=<e@closed\.test>/)
    expect(i.outcomes(expired)).toEqual([expect.objectContaining({ recipient: 'e@closed.test', status: 'expired' })])
    // The deferral carries the decoder's cause, as the embedded engine's rows do.
    expect(i.db.prepare("SELECT DISTINCT cause FROM mail_log WHERE status = 'deferred'").all()).toEqual([{ cause: 'connection-refused' }])
    expect(i.db.prepare("SELECT cause FROM mail_log WHERE status = 'bounced'").get()).toEqual({ cause: 'user-unknown' })
    // Held and deleted apply to the recipient that was waiting.
    expect(i.db.prepare("SELECT DISTINCT recipient FROM mail_log WHERE status IN ('held', 'released')").all()).toEqual([{ recipient: 'h@closed.test' }])
    expect(i.db.prepare("SELECT recipient, sender, size FROM mail_log WHERE status = 'deleted'").all()).toEqual([{ recipient: 'x@closed.test', sender: 'sender@origin.test', size: 423 }])

    const picked = qidOf(/uid=0/)
    const messageId = new RegExp(`${picked}: message-id=<([^>]+)>`).exec(FIXTURE)![1]!
    expect(i.queueIdOf(`<${messageId}>`)).toBe(picked)
    expect(i.queueIdOf('no-such@id')).toBeNull()
    const lastSent = LINES.filter((l) => l.includes('status=sent')).pop()!
    expect(localDate(i.lastDeliveryAt()!)).toBe(DAY)
    expect(new Date(i.lastDeliveryAt()!).toTimeString().slice(0, 8)).toBe(/\d\d:\d\d:\d\d/.exec(lastSent)![0])

    const events = unwrap(await i.call('events.list', { limit: 50 }))
    const levels = events.items.map((e) => `${e.level} ${e.source}`)
    expect(levels.filter((l) => l.startsWith('warning'))).toEqual(['warning postfix/smtpd'])
    expect(levels.filter((l) => l.startsWith('error'))).toEqual(['error postfix/capture', 'error postfix/capture'])
    expect(events.items.find((e) => e.level === 'warning')!.message).toContain('non-SMTP command')
    // postsuper's totals (Delete Queue's `postsuper -d ALL` names no queue id): how many, in Logs.
    expect(events.items.filter((e) => e.source === 'postfix/postsuper').map((e) => e.message).reverse()).toEqual([
      'Placed on hold: 1 message',
      'Released from hold: 1 message',
      'Placed on hold: 1 message',
      'Deleted: 1 message',
      'Deleted: 0 messages',
    ])
  })

  it('answers Mail Log pages, search and the CSV export with the core’s code', async () => {
    const { log, dataDir } = setup()
    writeFileSync(log, FIXTURE)
    const i = await index(dataDir, log)
    await i.catchUp()
    const page = unwrap(await i.call('mailLog.list', { limit: 5 }))
    expect(page.items).toHaveLength(5)
    expect(page.total).toBe(21)
    const next = unwrap(await i.call('mailLog.list', { limit: 50, cursor: page.nextCursor! }))
    expect(next.items).toHaveLength(16)
    const bounces = unwrap(await i.call('mailLog.list', { limit: 50, status: 'bounced' }))
    expect(bounces.items.map((r) => r.recipient)).toEqual(['r@reject.test'])
    expect(bounces.items[0]!.explanation?.cause).toBe('user-unknown')
    const found = unwrap(await i.call('mailLog.list', { limit: 50, text: 'h@closed.test' }))
    expect(new Set(found.items.map((r) => r.status))).toEqual(new Set(['deferred', 'held', 'released']))

    const link = unwrap(await i.call('logs.exportCsv', { log: 'mailLog', status: 'sent' }))
    expect(link.kind).toBe('download')
    const id = (link as { href: string }).href.split('/').pop()!
    const csv = i.takeDownload(id)!
    let text = ''
    for await (const chunk of csv.chunks) text += chunk
    expect(text.trim().split('\r\n')).toHaveLength(1 + 5)
    expect(i.takeDownload(id)).toBeNull()

    const bad = await i.call('reports.day', { date: '2026-02-30', top: 10 })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  })

  it.skipIf(!existsSync(PFLOGSUMM))(`makes Today’s Report with pflogsumm’s Grand Totals for the same log${existsSync(PFLOGSUMM) ? '' : ` (skipped: ${PFLOGSUMM} is not installed, Debian package pflogsumm)`}`, async () => {
    const { log, dataDir } = setup()
    writeFileSync(log, FIXTURE)
    const i = await index(dataDir, log)
    await i.catchUp()
    const report = unwrap(await i.call('reports.day', { date: DAY, top: 20 }))
    const pf = pflogsumm(log).totals
    expect(report.totals.received).toBe(pf.received)
    expect(report.totals.delivered).toBe(pf.delivered)
    expect(report.totals.deferred).toBe(pf.deferred)
    expect(report.totals.deferrals).toBe(pf.deferrals)
    expect(report.totals.bounced).toBe(pf.bounced)
    expect(report.totals.bytesReceived).toBe(pf.bytesReceived)
    expect(report.totals.bytesDelivered).toBe(pf.bytesDelivered)
    expect(report.totals.senders).toBe(pf.senders)
    expect(report.totals.senderDomains).toBe(pf.senderDomains)
    // What pflogsumm has no line for: the console's own.
    expect(report.totals).toMatchObject({ expired: 1, held: 1, deleted: 1 })
    expect(report.warnings).toBe(1)
    expect(report.errors).toBe(2)
    expect(report.deferralDetail.byCause[0]).toMatchObject({ cause: 'connection-refused', count: 4 })

    const file = unwrap(await i.call('reports.export', { date: DAY, top: 20, format: 'text' }))
    expect(file.content).toMatch(/^ +6   received$/m)
  })
})

describe('reading the log as it grows', () => {
  it('reads only what was added, and a partial last line once it is ended', async () => {
    const { log, dataDir } = setup()
    const cut = LINES.findIndex((l) => l.includes('status=bounced'))
    writeFileSync(log, `${LINES.slice(0, cut).join('\n')}\n${LINES[cut]!.slice(0, 40)}`)
    const i = await index(dataDir, log)
    const seen: number[] = []
    i.on('mailLog.appended', (p) => seen.push(p.count))
    expect(await i.catchUp()).toBe(cut)
    expect(statusCounts(i).bounced).toBeUndefined()
    expect(await i.catchUp()).toBe(0)
    appendFileSync(log, `${LINES[cut]!.slice(40)}\n${LINES.slice(cut + 1).join('\n')}\n`)
    expect(await i.catchUp()).toBe(LINES.length - cut)
    expect(seen.length).toBe(2)

    const whole = setup()
    writeFileSync(whole.log, FIXTURE)
    const reference = await index(whole.dataDir, whole.log)
    await reference.catchUp()
    expect(dump(i)).toEqual(dump(reference))
  })

  it('keeps what a message’s first lines said across a restart, and reads on where it stopped', async () => {
    const { log, dataDir } = setup()
    // Up to qmgr's line of the two-recipient message, before its deliveries.
    const cut = LINES.findIndex((l) => l.includes('nrcpt=2')) + 1
    writeFileSync(log, `${LINES.slice(0, cut).join('\n')}\n`)
    let i = await index(dataDir, log)
    await i.catchUp()
    i = await reopen(i, dataDir, log)
    appendFileSync(log, `${LINES.slice(cut).join('\n')}\n`)
    expect(await i.catchUp()).toBe(LINES.length - cut)
    expect(i.db.prepare("SELECT recipient, sender, size FROM mail_log WHERE status = 'sent' ORDER BY id LIMIT 2").all()).toEqual([
      { recipient: 'a@sink.test', sender: 'Sender@origin.test', size: 416 },
      { recipient: 'b@sink.test', sender: 'Sender@origin.test', size: 416 },
    ])
    expect(statusCounts(i).received).toBe(6)
  })

  it('reads the rest of a rotated file from its .1, then the new file from its start', async () => {
    const { log, dataDir } = setup()
    const a = Math.floor(LINES.length / 3)
    const b = Math.floor((2 * LINES.length) / 3)
    writeFileSync(log, `${LINES.slice(0, a).join('\n')}\n`)
    const i = await index(dataDir, log)
    await i.catchUp()
    appendFileSync(log, `${LINES.slice(a, b).join('\n')}\n`)
    renameSync(log, `${log}.1`)
    writeFileSync(log, `${LINES.slice(b).join('\n')}\n`)
    expect(await i.catchUp()).toBe(LINES.length - a)

    const whole = setup()
    writeFileSync(whole.log, FIXTURE)
    const reference = await index(whole.dataDir, whole.log)
    await reference.catchUp()
    expect(dump(i)).toEqual(dump(reference))
  })

  it('reads a truncated file again from its start', async () => {
    const { log, dataDir } = setup()
    const a = LINES.findIndex((l) => l.includes('status=bounced')) + 1
    writeFileSync(log, `${LINES.slice(0, a).join('\n')}\n`)
    const i = await index(dataDir, log)
    await i.catchUp()
    // copytruncate: the same file, emptied, then written again (shorter than where the reading was).
    truncateSync(log, 0)
    appendFileSync(log, `${LINES.slice(a, a + 5).join('\n')}\n`)
    expect(await i.catchUp()).toBe(5)
    const sent = LINES.slice(0, a + 5).filter((l) => l.includes('status=sent')).length
    expect(statusCounts(i).sent).toBe(sent)
  })

  it('reads a large log a bounded chunk at a time, and on its timer', async () => {
    const whole = setup()
    writeFileSync(whole.log, FIXTURE)
    const reference = await index(whole.dataDir, whole.log)
    await reference.catchUp()
    const expected = JSON.stringify(dump(reference))

    const { log, dataDir } = setup()
    writeFileSync(log, FIXTURE)
    const i = await index(dataDir, log, { chunkBytes: 1024, intervalMs: 20 })
    const appended: number[] = []
    i.on('mailLog.appended', (p) => appended.push(p.count))
    // Nothing calls catchUp: the timer reads the file, a kilobyte per turn.
    const until = Date.now() + 20_000
    while (JSON.stringify(dump(i)) !== expected && Date.now() < until) await new Promise((r) => setTimeout(r, 25))
    expect(dump(i)).toEqual(dump(reference))
    expect(appended.length).toBeGreaterThanOrEqual(Math.floor(FIXTURE.length / 1024) - 2)
    expect(await i.catchUp()).toBe(0)
  })
})
