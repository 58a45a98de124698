import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { reportToText } from '../../../src/main/core/reports/export-text.ts'
import type { DayReport } from '../../../src/shared/report.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { pflogsumm, postfixUnusable, startPostfix, type PostfixInstance } from '../../helpers/postfix.ts'
import { smtpError, startSmtp, type Received, type TestSmtp } from '../../helpers/smtp.ts'

// The console's report next to pflogsumm's, for the same traffic. The same
// five messages go out twice to relays with the same script: once from the
// console straight to the relay (the console's report), once from the
// console through a local Postfix to the relay (Postfix's log, read by
// pflogsumm). A relay answers per recipient: accept.test accepts,
// defer.test greylists each address once, reject.test has no such users.

const unusable = postfixUnusable()
if (unusable) console.warn(`pflogsumm cross-check skipped: ${unusable}`)

const TRAFFIC = [
  { subject: 'one', to: ['a1@accept.test'] },
  { subject: 'two', to: ['a2@accept.test', 'b2@accept.test'] },
  { subject: 'three', to: ['g3@defer.test', 'a3@accept.test'] },
  { subject: 'four', to: ['r4@reject.test', 'a4@accept.test'] },
  { subject: 'five', to: ['g5@defer.test'] },
]
const DELIVERED = TRAFFIC.flatMap((m) => m.to.filter((r) => !r.endsWith('@reject.test')).map((to) => ({ to, subject: m.subject })))
const OUTCOMES_FIRST_PASS = TRAFFIC.reduce((n, m) => n + m.to.length, 0)
const DAY = '2030-06-15'

function relayScript(): (address: string) => Error | null {
  const greylisted = new Set<string>()
  return (address) => {
    if (address.endsWith('@defer.test') && !greylisted.has(address)) {
      greylisted.add(address)
      return smtpError(451, `4.7.1 <${address}>: Recipient address rejected: Greylisted, try again later`)
    }
    if (address.endsWith('@reject.test')) return smtpError(550, `5.1.1 <${address}>: Recipient address rejected: User unknown`)
    return null
  }
}

async function scriptedRelay(): Promise<TestSmtp> {
  const script = relayScript()
  return startSmtp({ tls: 'none', onRcpt: (address) => script(address) })
}

/** A clock at noon of DAY that runs with real time, so a run cannot cross midnight. */
function noonClock(): () => number {
  const base = new Date(2030, 5, 15, 12, 0).getTime()
  const t0 = Date.now()
  return () => base + (Date.now() - t0)
}

async function consoleEngine(relayPort: number): Promise<CoreEngine> {
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort }, { now: noonClock() })
  return engine
}

async function submitTraffic(engine: CoreEngine): Promise<void> {
  // One line of text each: the stored message has CRLF line ends only, so its size is the bytes on the wire.
  await engine.submit(TRAFFIC.map((m) => ({ to: m.to, subject: m.subject, text: `Report ${m.subject}: ${'-'.repeat(40)}` })))
}

const outcomeRows = (engine: CoreEngine) =>
  (engine.db.prepare("SELECT count(*) AS n FROM mail_log WHERE status IN ('sent', 'deferred', 'bounced')").get() as { n: number }).n

const subjectOf = (r: Received) => /^Subject: (.*)$/m.exec(r.raw)?.[1] ?? ''
/** Postfix's size= is the message as it relays it (line ends counted as CRLF, as on the wire). */
const postfixSize = (r: Received) => Buffer.byteLength(r.raw)

describe.skipIf(unusable !== null)(`the report next to pflogsumm over a real Postfix${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let direct: DayReport
  let throughPostfix: DayReport
  let pf: ReturnType<typeof pflogsumm>
  let relayA: TestSmtp
  let relayB: TestSmtp
  let postfix: PostfixInstance | undefined
  const engines: CoreEngine[] = []

  beforeAll(async () => {
    // Run A: the console to the relay.
    relayA = await scriptedRelay()
    const a = await consoleEngine(relayA.port)
    engines.push(a)
    await submitTraffic(a)
    await waitFor(() => outcomeRows(a) >= OUTCOMES_FIRST_PASS && a.worker.activeCount === 0, 'the first attempt on every recipient (console)', 20_000)
    unwrap(await a.call('queue.flush', undefined))
    await waitFor(() => a.queueView.count() === 0, 'the console queue to drain after Flush Queue', 20_000)
    direct = unwrap(await a.call('reports.day', { date: DAY, top: 20 }))

    // Run B: the console to Postfix, Postfix to a relay with the same script.
    relayB = await scriptedRelay()
    postfix = await startPostfix({ relayPort: relayB.port })
    const b = await consoleEngine(postfix.port)
    engines.push(b)
    await submitTraffic(b)
    await waitFor(() => b.queueView.count() === 0 && b.worker.activeCount === 0, 'the console to hand every message to Postfix', 20_000)
    const status = (word: string) => (postfix!.log().match(new RegExp(`status=${word} `, 'g')) ?? []).length
    // First pass: five acceptances and Postfix's own non-delivery notice, two greylistings, one bounce.
    await waitFor(() => status('sent') >= 6 && status('deferred') >= 2 && status('bounced') >= 1, 'Postfix to try every recipient once', 30_000)
    postfix.flush()
    await waitFor(() => status('sent') >= 8 && postfix!.queue().length === 0, 'Postfix to deliver the greylisted recipients after postqueue -f', 30_000)
    throughPostfix = unwrap(await b.call('reports.day', { date: DAY, top: 20 }))
    pf = pflogsumm(postfix.maillog)
  }, 120_000)

  afterAll(async () => {
    await postfix?.stop()
    for (const e of engines) {
      await e.close()
      removeDir(e.dataDir)
    }
    await relayA?.close()
    await relayB?.close()
  })

  it('counts the same messages received', () => {
    expect(pf.rounded).toEqual([])
    // pflogsumm counts what Postfix's smtpd accepted: every message the console relayed to it.
    expect(pf.totals.received).toBe(5)
    expect(throughPostfix.totals.received).toBe(pf.totals.received)
    expect(throughPostfix.totals.delivered).toBe(8)
    expect(direct.totals.received).toBe(pf.totals.received)
    expect(pf.totals.senders).toBe(direct.totals.senders)
  })

  it('counts the same deliveries, deferrals and bounces', () => {
    // Postfix also delivers the non-delivery notice it writes to the sender of a bounced message;
    // the console writes none (the bounce is in its Mail Log), so pflogsumm has one delivery more per bounced message.
    const notices = relayB.received.filter((r) => r.from === '')
    expect(notices).toHaveLength(1)
    expect(notices[0]!.to).toEqual(['alerts@example.test'])
    expect(direct.totals.delivered).toBe(DELIVERED.length)
    expect(pf.totals.delivered).toBe(direct.totals.delivered + notices.length)
    expect(pf.totals.deferred).toBe(direct.totals.deferred)
    expect(pf.totals.deferrals).toBe(direct.totals.deferrals)
    expect(direct.totals.deferrals).toBe(2)
    expect(pf.totals.bounced).toBe(direct.totals.bounced)
    expect(direct.totals.bounced).toBe(1)
    expect(pf.totals.rejected).toBe(0)
  })

  it('counts bytes the same way, apart from what Postfix adds to each message', () => {
    const first = (relay: TestSmtp, subject: string) => relay.received.find((r) => r.from !== '' && subjectOf(r) === subject)!
    // What the console sent is what the relay got: its sizes are the bytes on the wire, per recipient for bytes delivered.
    const consoleSize = (subject: string) => Buffer.byteLength(first(relayA, subject).raw)
    expect(direct.totals.bytesReceived).toBe(TRAFFIC.reduce((n, m) => n + consoleSize(m.subject), 0))
    expect(direct.totals.bytesDelivered).toBe(DELIVERED.reduce((n, d) => n + consoleSize(d.subject), 0))

    // Through Postfix, each message arrives with the Received: header Postfix's smtpd prepended; without it, it is what the console sent.
    const withoutReceived = (subject: string) => {
      const raw = first(relayB, subject).raw
      expect(raw.startsWith('Received: from ')).toBe(true)
      return raw.slice(/\r\n(?![ \t])/.exec(raw)!.index + 2)
    }
    for (const m of TRAFFIC) expect(Buffer.byteLength(withoutReceived(m.subject)), m.subject).toBe(consoleSize(m.subject))
    expect(throughPostfix.totals.bytesReceived).toBe(direct.totals.bytesReceived)

    // Postfix counts the message as it holds it: with that header. The console counts what it composed.
    const added = (subject: string) => postfixSize(first(relayB, subject)) - consoleSize(subject)
    for (const m of TRAFFIC) expect(added(m.subject)).toBe(Buffer.byteLength(first(relayB, m.subject).raw) - Buffer.byteLength(withoutReceived(m.subject)))
    expect(TRAFFIC.every((m) => added(m.subject) > 0)).toBe(true)
    expect(pf.totals.bytesReceived).toBe(direct.totals.bytesReceived + TRAFFIC.reduce((n, m) => n + added(m.subject), 0))
    // Bytes delivered: the same per-recipient sum, plus the notice Postfix delivered.
    const notice = relayB.received.find((r) => r.from === '')!
    expect(pf.totals.bytesDelivered).toBe(direct.totals.bytesDelivered + DELIVERED.reduce((n, d) => n + added(d.subject), 0) + postfixSize(notice))
  })

  it("prints its Grand Totals in pflogsumm's layout", () => {
    const text = reportToText(direct)
    const line = (output: string, label: string) => new RegExp(`^ {1,}\\d+[ km]  ${label}$`, 'm').exec(output)?.[0]
    for (const label of ['received', 'bounced', 'bytes received', 'bytes delivered', 'senders', 'sending hosts/domains']) {
      expect(line(text, label), label).toBeDefined()
    }
    // Where the figures agree, the lines are the same, character for character.
    expect(line(text, 'received')).toBe(line(pf.output, 'received'))
    expect(line(text, 'bounced')).toBe(line(pf.output, 'bounced'))
    expect(line(text, 'senders')).toBe(line(pf.output, 'senders'))
    expect(/^ +\d+   deferred  \(2  deferrals\)$/m.exec(text)?.[0]).toBe(/^ +\d+   deferred  \(2  deferrals\)$/m.exec(pf.output)?.[0])
    for (const heading of ['Grand Totals', 'Per-Hour Traffic Summary', 'Senders by message count', 'Recipients by message count', 'Senders by message size', 'Recipients by message size']) {
      expect(text).toContain(heading)
      expect(pf.output).toContain(heading)
    }
  })
})
