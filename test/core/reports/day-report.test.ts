// The zone must be set before any Date is made; reports count local days.
const zoneBefore = process.env.TZ
process.env.TZ = 'America/New_York'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { explainCause } from '../../../src/main/core/errors/decoder.ts'
import { dayReport } from '../../../src/main/core/reports/day-report.ts'
import type { DayReport, ReportTotals } from '../../../src/shared/report.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { smtpError, startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Later files in the same worker get the zone they started with.
afterAll(() => {
  if (zoneBefore === undefined) delete process.env.TZ
  else process.env.TZ = zoneBefore
})

// A known day of traffic through the real engine and a real relay on
// loopback, with a clock the test moves: every number of the day's report,
// on New York's spring-forward day (23 hours) and fall-back day (25 hours).

const local = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime()
const MIN = 60_000

/** The relay's script: accept.test takes everything; defer.test greylists each address once; full.test is always full; reject.test has no such users. */
function relayScript() {
  const greylisted = new Set<string>()
  return (address: string): Error | null => {
    const domain = address.slice(address.indexOf('@') + 1)
    if (domain === 'defer.test' && !greylisted.has(address)) {
      greylisted.add(address)
      return smtpError(451, `4.7.1 <${address}>: Recipient address rejected: Greylisted, try again later`)
    }
    if (domain === 'full.test') return smtpError(452, `4.2.2 <${address}>: Mailbox full`)
    if (domain === 'reject.test') return smtpError(550, `5.1.1 <${address}>: Recipient address rejected: User unknown`)
    return null
  }
}

/** An engine whose clock the test sets, relaying to a scripted server that moves the clock to `deliverAt` when a message reaches it. */
async function scriptedEngine(start: number, settings: Record<string, unknown> = {}) {
  const clock = { now: start, deliverAt: start }
  const script = relayScript()
  const relay: TestSmtp = await startSmtp({
    tls: 'none',
    onRcpt: (address) => {
      clock.now = clock.deliverAt
      return script(address)
    },
  })
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: relay.port, ...settings }, { now: () => clock.now })
  // A database made before the rollup migration gets it here, so the report is read from the rollup as it will be.
  const attempts = (queueId: string) => engine.mailLog.forQueueId(queueId).filter((e) => ['sent', 'deferred', 'bounced', 'expired'].includes(e.status)).length
  const settle = async (queueId: string, rows: number) => {
    await waitFor(() => attempts(queueId) >= rows && engine.worker.activeCount === 0, `${rows} outcome rows for ${queueId}`)
  }
  return {
    clock,
    relay,
    engine,
    /** Queues one message at `at`; the relay answers at `at + delayMs`; resolves when `rows` outcomes are logged. */
    async send(at: number, to: string[], subject: string, rows = to.length, delayMs = 2000): Promise<{ queueId: string; size: number }> {
      clock.now = at
      clock.deliverAt = at + delayMs
      const { queueId } = (await engine.submit([{ to, subject, text: `${subject}: ${'x'.repeat(subject.length * 7)}` }]))[0]!
      await settle(queueId, rows)
      return { queueId, size: sizeOf(engine, queueId) }
    },
    async sendTest(at: number, to: string, subject: string, rows = 1, delayMs = 2000): Promise<{ queueId: string; size: number }> {
      clock.now = at
      clock.deliverAt = at + delayMs
      const { queueId } = unwrap(await engine.call('mail.sendTest', { to, subject }))
      await settle(queueId, rows)
      return { queueId, size: sizeOf(engine, queueId) }
    },
    /** Flush Queue at `at`; resolves when `rows` more outcomes are logged for `queueId`. */
    async flush(at: number, queueId: string, rows = 1, delayMs = 1000): Promise<void> {
      const before = attempts(queueId)
      clock.now = at
      clock.deliverAt = at + delayMs
      unwrap(await engine.call('queue.flush', undefined))
      await settle(queueId, before + rows)
    },
    async close() {
      await engine.close()
      await relay.close()
      removeDir(engine.dataDir)
    },
  }
}

/** The message's size as the console logged it at arrival (the report sums these). */
function sizeOf(engine: CoreEngine, queueId: string): number {
  return engine.mailLog.forQueueId(queueId).find((e) => e.status === 'received')!.size!
}

function zeroTotals(over: Partial<ReportTotals> = {}): ReportTotals {
  return {
    received: 0,
    delivered: 0,
    deferred: 0,
    deferrals: 0,
    bounced: 0,
    expired: 0,
    held: 0,
    deleted: 0,
    bytesReceived: 0,
    bytesDelivered: 0,
    senders: 0,
    recipients: 0,
    senderDomains: 0,
    recipientDomains: 0,
    ...over,
  }
}

describe('the time zone of this file', () => {
  it('is New York, where 2026-03-08 changes its offset within the day', () => {
    expect(new Date(2026, 2, 8, 0).getTimezoneOffset()).toBe(300)
    expect(new Date(2026, 2, 8, 12).getTimezoneOffset()).toBe(240)
  })
})

describe("a spring-forward day's report (2026-03-08, 23 hours)", () => {
  type Setup = Awaited<ReturnType<typeof scriptedEngine>>
  let s: Setup
  let report: DayReport
  const sizes: Record<string, number> = {}
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    s = await scriptedEngine(local(2026, 3, 7, 21, 0), { maxQueueLifetimeSec: 3600 })
    const put = (name: string, r: { queueId: string; size: number }) => {
      ids[name] = r.queueId
      sizes[name] = r.size
    }
    // The day before: one delivery, for the comparison.
    put('p1', await s.send(local(2026, 3, 7, 22, 0), ['x@accept.test'], 'day before'))

    // 00:30 EST: two recipients, both accepted.
    put('m1', await s.send(local(2026, 3, 8, 0, 30), ['a@accept.test', 'b@accept.test'], 'nightly backup done'))
    // 01:15 EST: one recipient greylisted, one accepted; Flush Queue at 03:20 EDT delivers the first.
    put('m2', await s.send(local(2026, 3, 8, 1, 15), ['g@defer.test', 'c@accept.test'], 'disk report'))
    await s.flush(local(2026, 3, 8, 3, 20), ids.m2!)
    // 03:40 EDT: a test email to a user the server does not know: bounced, and an error in the event log.
    put('m3', await s.sendTest(local(2026, 3, 8, 3, 40), 'u@reject.test', 'test to nobody'))
    // 04:00 EDT: a full mailbox; Flush Queue at 05:10 EDT finds it still full, past the queue lifetime of one hour: expired.
    put('m4', await s.send(local(2026, 3, 8, 4, 0), ['d@full.test'], 'quota warning'))
    await s.flush(local(2026, 3, 8, 5, 10), ids.m4!, 2)
    // 10:00 EDT: greylisted, then held and deleted by the administrator.
    put('m5', await s.send(local(2026, 3, 8, 10, 0), ['h@defer.test'], 'to be deleted'))
    s.clock.now = local(2026, 3, 8, 10, 30)
    unwrap(await s.engine.call('queue.hold', { queueId: ids.m5! }))
    unwrap(await s.engine.call('queue.delete', { queueId: ids.m5! }))

    // Midday the From Address changes: a second sender from then on.
    s.clock.now = local(2026, 3, 8, 11, 0)
    const current = unwrap(await s.engine.call('settings.get', undefined)).settings
    unwrap(await s.engine.call('settings.update', { settings: { ...current, fromAddress: 'reports@ops.example.test' } }))
    // 12:00 EDT: a test email greylisted (a warning in the event log), delivered after Flush Queue at 12:10.
    put('m6', await s.sendTest(local(2026, 3, 8, 12, 0), 'k@defer.test', 'test greylisted'))
    await s.flush(local(2026, 3, 8, 12, 10), ids.m6!)
    // 23:50 EDT: the day's last delivery.
    put('m7', await s.send(local(2026, 3, 8, 23, 50), ['a@accept.test'], 'late'))
    // The next day does not count.
    put('n1', await s.send(local(2026, 3, 9, 0, 10), ['a@accept.test'], 'next day'))

    report = unwrap(await s.engine.call('reports.day', { date: '2026-03-08', top: 10 }))
  }, 60_000)

  afterAll(async () => {
    await s?.close()
  })

  it('bounds the day at local midnights, 23 hours apart', () => {
    expect(report.date).toBe('2026-03-08')
    expect(report.from).toBe(Date.UTC(2026, 2, 8, 5))
    expect(report.to).toBe(Date.UTC(2026, 2, 9, 4))
    expect(report.top).toBe(10)
  })

  it('counts every grand total', () => {
    const z = sizes
    expect(report.totals).toEqual({
      received: 7,
      // a, b (m1); c and, after Flush Queue, g (m2); k (m6); a (m7)
      delivered: 6,
      // m2, m4, m5, m6
      deferred: 4,
      // g; d twice; h; k
      deferrals: 5,
      bounced: 1,
      expired: 1,
      held: 1,
      deleted: 1,
      bytesReceived: z.m1! + z.m2! + z.m3! + z.m4! + z.m5! + z.m6! + z.m7!,
      bytesDelivered: 2 * z.m1! + 2 * z.m2! + z.m6! + z.m7!,
      senders: 2,
      // a, b, c, g, u, d, h, k
      recipients: 8,
      senderDomains: 2,
      recipientDomains: 4,
    })
  })

  it('counts bytes as the relay received them', () => {
    const m1 = s.relay.received.find((r) => r.to.includes('a@accept.test') && r.to.includes('b@accept.test'))!
    expect(Buffer.byteLength(m1.raw)).toBe(sizes.m1)
  })

  it('has 23 local hours, without 02:00, and each message in the hour it happened', () => {
    expect(report.hours).toHaveLength(23)
    expect(report.hours.map((h) => h.hour)).toEqual([0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)])
    expect(report.hours[0]).toMatchObject({ hour: 0, start: report.from, end: report.from + 60 * MIN, utcOffsetMin: -300 })
    expect(report.hours[1]).toMatchObject({ hour: 1, utcOffsetMin: -300, end: Date.UTC(2026, 2, 8, 7) })
    expect(report.hours[2]).toMatchObject({ hour: 3, start: Date.UTC(2026, 2, 8, 7), utcOffsetMin: -240 })
    expect(report.hours.every((h) => h.end - h.start === 60 * MIN)).toBe(true)
    const busy = Object.fromEntries(
      report.hours.filter((h) => h.received + h.delivered + h.deferred + h.bounced > 0).map((h) => [h.hour, [h.received, h.delivered, h.deferred, h.bounced]]),
    )
    expect(busy).toEqual({
      0: [1, 2, 0, 0],
      1: [1, 1, 1, 0],
      3: [1, 1, 0, 1],
      4: [1, 0, 1, 0],
      5: [0, 0, 1, 0],
      10: [1, 0, 1, 0],
      12: [1, 1, 1, 0],
      23: [1, 1, 0, 0],
    })
  })

  it('summarises delivery per recipient domain, with delays', () => {
    // g waited from 01:15 EST to 03:20:01 EDT: 65 minutes and a second, the skipped hour not counted.
    const gDelay = 65 * MIN + 1000
    const kDelay = 10 * MIN + 1000
    expect(report.domains).toEqual([
      { domain: 'accept.test', sent: 4, bytes: 2 * sizes.m1! + sizes.m2! + sizes.m7!, defers: 0, avgDelayMs: 2000, maxDelayMs: 2000 },
      { domain: 'defer.test', sent: 2, bytes: sizes.m2! + sizes.m6!, defers: 3, avgDelayMs: (gDelay + kDelay) / 2, maxDelayMs: gDelay },
      // Deferred twice, the second time 70 minutes and a second after arrival.
      { domain: 'full.test', sent: 0, bytes: 0, defers: 2, avgDelayMs: 0, maxDelayMs: 70 * MIN + 1000 },
    ])
  })

  it('lists senders and recipients by count and by size', () => {
    const alerts = sizes.m1! + sizes.m2! + sizes.m3! + sizes.m4! + sizes.m5!
    const reports = sizes.m6! + sizes.m7!
    expect(report.sendersByCount).toEqual([
      { key: 'alerts@example.test', count: 5, bytes: alerts },
      { key: 'reports@ops.example.test', count: 2, bytes: reports },
    ])
    expect(report.sendersBySize).toEqual(
      [
        { key: 'alerts@example.test', count: 5, bytes: alerts },
        { key: 'reports@ops.example.test', count: 2, bytes: reports },
      ].sort((x, y) => y.bytes - x.bytes),
    )
    expect(report.recipientsByCount).toEqual([
      { key: 'a@accept.test', count: 2, bytes: sizes.m1! + sizes.m7! },
      { key: 'b@accept.test', count: 1, bytes: sizes.m1! },
      { key: 'c@accept.test', count: 1, bytes: sizes.m2! },
      { key: 'g@defer.test', count: 1, bytes: sizes.m2! },
      { key: 'k@defer.test', count: 1, bytes: sizes.m6! },
    ])
    const bySize = [...report.recipientsByCount].sort((x, y) => y.bytes - x.bytes || (x.key < y.key ? -1 : 1))
    expect(report.recipientsBySize).toEqual(bySize)
  })

  it('groups deferrals and bounces by decoded cause and by domain', () => {
    const cause = (id: string) => ({ summary: explainCause(id)!.summary, fix: explainCause(id)!.fix })
    expect(report.deferralDetail).toEqual({
      total: 5,
      byCause: [
        { cause: 'greylisted', count: 3, ...cause('greylisted'), sample: expect.stringMatching(/^451 4\.7\.1 <[ghk]@defer\.test>: .*Greylisted/), domains: [{ domain: 'defer.test', count: 3 }] },
        { cause: 'mailbox-full', count: 2, ...cause('mailbox-full'), sample: '452 4.2.2 <d@full.test>: Mailbox full', domains: [{ domain: 'full.test', count: 2 }] },
      ],
      byDomain: [
        { domain: 'defer.test', count: 3, causes: [{ cause: 'greylisted', count: 3 }] },
        { domain: 'full.test', count: 2, causes: [{ cause: 'mailbox-full', count: 2 }] },
      ],
    })
    expect(report.bounceDetail).toEqual({
      total: 2,
      byCause: [
        { cause: 'expired', count: 1, ...cause('expired'), sample: expect.stringMatching(/^message expired after the maximal queue lifetime; last error: 452 4\.2\.2/), domains: [{ domain: 'full.test', count: 1 }] },
        { cause: 'user-unknown', count: 1, ...cause('user-unknown'), sample: '550 5.1.1 <u@reject.test>: Recipient address rejected: User unknown', domains: [{ domain: 'reject.test', count: 1 }] },
      ],
      byDomain: [
        { domain: 'full.test', count: 1, causes: [{ cause: 'expired', count: 1 }] },
        { domain: 'reject.test', count: 1, causes: [{ cause: 'user-unknown', count: 1 }] },
      ],
    })
  })

  it("includes the day's warnings and errors from the event log", () => {
    expect(report.warnings).toBe(2)
    expect(report.errors).toBe(1)
    expect(report.eventLimit).toBe(200)
    expect(report.events.map((e) => [e.level, e.source, e.at])).toEqual([
      ['error', 'delivery', local(2026, 3, 8, 3, 40, 2)],
      ['warning', 'delivery', local(2026, 3, 8, 5, 10, 1)],
      ['warning', 'delivery', local(2026, 3, 8, 12, 0, 2)],
    ])
    expect(report.events[0]!.message).toContain(`${ids.m3}: u@reject.test bounced`)
    expect(report.events[1]!.message).toContain(`${ids.m4}: d@full.test deferred`)
    expect(report.events[2]!.message).toContain(`${ids.m6}: k@defer.test deferred`)
    // The cap keeps the latest.
    const capped = dayReport(s.engine.db, '2026-03-08', 10, { eventLimit: 2 })
    expect(capped.events.map((e) => e.at)).toEqual([local(2026, 3, 8, 5, 10, 1), local(2026, 3, 8, 12, 0, 2)])
    expect(capped.warnings).toBe(2)
  })

  it('compares each grand total with the day before', () => {
    const before = zeroTotals({ received: 1, delivered: 1, bytesReceived: sizes.p1!, bytesDelivered: sizes.p1!, senders: 1, recipients: 1, senderDomains: 1, recipientDomains: 1 })
    expect(report.previous).toEqual({ date: '2026-03-07', totals: before })
    for (const key of Object.keys(before) as (keyof ReportTotals)[]) expect(report.change[key], key).toBe(report.totals[key] - before[key])
    expect(report.change.received).toBe(6)
  })

  it('reads the same report from the rollup as from the mail log itself', () => {
    expect(dayReport(s.engine.db, '2026-03-08', 10, { fromLog: true })).toEqual(report)
    expect(dayReport(s.engine.db, '2026-03-07', 10, { fromLog: true })).toEqual(dayReport(s.engine.db, '2026-03-07', 10))
  })

  it('sums a day again when the zone changed after its rows were written', () => {
    // Rows were filed under New York's days; in Berlin, 2026-03-08 holds other hours of them.
    process.env.TZ = 'Europe/Berlin'
    try {
      expect(new Date(2026, 2, 8).getTimezoneOffset()).toBe(-60)
      const berlin = dayReport(s.engine.db, '2026-03-08', 10)
      expect(berlin).toEqual(dayReport(s.engine.db, '2026-03-08', 10, { fromLog: true }))
      expect(berlin.hours).toHaveLength(24)
      // p1 (04:00 Berlin) and m1 to m6 (up to 18:00 Berlin) are Berlin's 8 March; m7, at 04:50 on the 9th, is not.
      expect(berlin.totals.received).toBe(7)
    } finally {
      process.env.TZ = 'America/New_York'
    }
    expect(dayReport(s.engine.db, '2026-03-08', 10)).toEqual(report)
  })

  it('stays right after old rows are pruned from the middle of a day', () => {
    const pruned = dayReport(s.engine.db, '2026-03-08', 10)
    expect(pruned).toEqual(report)
    s.engine.mailLog.prune(local(2026, 3, 8, 4, 0))
    const after = dayReport(s.engine.db, '2026-03-08', 10)
    expect(after).toEqual(dayReport(s.engine.db, '2026-03-08', 10, { fromLog: true }))
    // m1, m2, m3 are gone; m4 to m7 stay.
    expect(after.totals.received).toBe(4)
    expect(after.previous.totals).toEqual(zeroTotals())
  })
})

describe("a fall-back day's report (2026-11-01, 25 hours)", () => {
  let s: Awaited<ReturnType<typeof scriptedEngine>>
  let report: DayReport

  beforeAll(async () => {
    s = await scriptedEngine(local(2026, 10, 31, 12, 0))
    // 01:30 happens twice: first in daylight time (05:30 UTC), then in standard time (06:30 UTC).
    await s.send(Date.UTC(2026, 10, 1, 5, 30), ['first@accept.test'], 'first 01:30')
    await s.send(Date.UTC(2026, 10, 1, 6, 30), ['second@accept.test', 'gone@reject.test'], 'second 01:30')
    await s.send(local(2026, 11, 1, 23, 59), ['last@accept.test'], 'last minute', 1, 500)
    report = unwrap(await s.engine.call('reports.day', { date: '2026-11-01', top: 5 }))
  }, 30_000)

  afterAll(async () => {
    await s?.close()
  })

  it('has 25 hours, the repeated 01:00 twice with its own offset, and traffic in the right one', () => {
    expect(report.to - report.from).toBe(25 * 60 * MIN)
    expect(report.hours).toHaveLength(25)
    expect(report.hours.map((h) => h.hour)).toEqual([0, 1, 1, ...Array.from({ length: 22 }, (_, i) => i + 2)])
    expect(report.hours[1]).toMatchObject({ hour: 1, utcOffsetMin: -240, start: Date.UTC(2026, 10, 1, 5), received: 1, delivered: 1, bounced: 0 })
    expect(report.hours[2]).toMatchObject({ hour: 1, utcOffsetMin: -300, start: Date.UTC(2026, 10, 1, 6), received: 1, delivered: 1, bounced: 1 })
    expect(report.hours[24]).toMatchObject({ hour: 23, received: 1, delivered: 1 })
    expect(report.hours.reduce((n, h) => n + h.received, 0)).toBe(3)
    expect(report.totals).toMatchObject({ received: 3, delivered: 3, bounced: 1, recipients: 4, recipientDomains: 2 })
  })
})

describe('the day asked for', () => {
  let engine: CoreEngine
  beforeAll(async () => {
    engine = await engineWith({})
  })
  afterAll(async () => {
    await engine?.close()
    if (engine) removeDir(engine.dataDir)
  })

  it.each([
    ['0100-01-01', '0099-12-31'],
    ['0050-06-01', '0050-05-31'],
    ['0001-01-01', '0000-12-31'],
    ['9999-12-31', '9999-12-30'],
  ])('reports %s, an early or late but real day, compared with %s', async (date, before) => {
    const report = unwrap(await engine.call('reports.day', { date, top: 5 }))
    expect(report).toMatchObject({ date, previous: { date: before, totals: zeroTotals() }, totals: zeroTotals() })
    expect(localYear(report.from)).toBe(Number(date.slice(0, 4)))
    expect(report.hours.length).toBeGreaterThanOrEqual(23)
  })

  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '0000-01-01'])('refuses %s, naming the date given', async (date) => {
    const result = await engine.call('reports.day', { date, top: 5 })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(new RegExp(`^${date} is not a calendar day`)) })
    const exported = await engine.call('reports.export', { date, top: 5, format: 'text' })
    expect(exported.ok ? null : exported.error.message).toMatch(new RegExp(`^${date} `))
  })
})

function localYear(at: number): number {
  return new Date(at).getFullYear()
}
