import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localDate } from '../../../src/shared/calendar.ts'
import type { DayReport } from '../../../src/shared/report.ts'
import { openPostfixLogs, type PostfixLogIndex } from '../../../src/main/postfix/logs/log-index.ts'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../../../src/main/postfix/tools.ts'
import { pflogsumm, postfixUnusable, startPostfix, type PostfixInstance } from '../../helpers/postfix.ts'
import { closedPort, smtpError, startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Today's Report from a real Postfix's log next to pflogsumm over the same
// log, as test/core/reports/pflogsumm.test.ts does for the embedded engine.
// A private Postfix relays to a real SMTP server on loopback: accept.test
// accepts, defer.test greylists each address once, reject.test has no such
// users; closed.test goes to a port where nothing listens. The index finds
// the log itself (postconf -h maillog_file) and reads it on its timer.

const unusable = postfixUnusable() ?? (spawnSync('swaks', ['--version']).status === 0 ? null : 'swaks is not installed (Debian package swaks)')
if (unusable) console.warn(`Postfix log index cross-check skipped: ${unusable}`)

const TRAFFIC = [
  { from: 'alice@one.test', to: ['a1@accept.test'] },
  { from: 'alice@one.test', to: ['a2@accept.test', 'b2@accept.test'] },
  { from: 'bob@two.test', to: ['g3@defer.test', 'a3@accept.test'] },
  { from: 'bob@two.test', to: ['r4@reject.test', 'a4@accept.test'] },
  { from: 'carol@two.test', to: ['g5@defer.test'] },
  { from: 'carol@two.test', to: ['c6@closed.test'] },
  { from: 'dave@three.test', to: ['c7@closed.test'] },
]

describe.skipIf(unusable !== null)(`Today’s Report from a real Postfix’s log next to pflogsumm${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let relay: TestSmtp
  let postfix: PostfixInstance | undefined
  let logs: PostfixLogIndex | undefined
  let dataDir: string
  let report: DayReport
  let pf: ReturnType<typeof pflogsumm>
  let appended = 0
  let sentByMessageId: { queueId: string | null; outcomes: ReturnType<PostfixLogIndex['outcomes']> }

  beforeAll(async () => {
    const greylisted = new Set<string>()
    relay = await startSmtp({
      tls: 'none',
      onRcpt: (a) => {
        if (a.endsWith('@defer.test') && !greylisted.has(a)) {
          greylisted.add(a)
          return smtpError(451, `4.7.1 <${a}>: Recipient address rejected: Greylisted, try again later`)
        }
        return a.endsWith('@reject.test') ? smtpError(550, `5.1.1 <${a}>: Recipient address rejected: User unknown`) : null
      },
    })
    postfix = await startPostfix({ relayPort: relay.port, transports: { 'closed.test': `smtp:[127.0.0.1]:${await closedPort()}` } })
    const pfx = postfix
    dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-pflog-live-'))
    logs = await openPostfixLogs({ dataDir, tools: new PostfixTools({ runner: new LocalRunner(), configDir: pfx.configDir }), intervalMs: 100 })
    logs.on('mailLog.appended', (p) => (appended += p.count))
    const index = logs

    for (const m of TRAFFIC) {
      const r = spawnSync('swaks', ['--server', `127.0.0.1:${pfx.port}`, '--from', m.from, '--to', m.to.join(','), '--body', `To ${m.to.join(', ')}.`, '--hide-all'], {
        encoding: 'utf8',
        timeout: 30_000,
      })
      if (r.status !== 0) throw new Error(`swaks failed: ${r.stderr}${r.stdout}`)
    }
    // One more through sendmail, found in the log by its Message-ID as Send Test Email follows its message.
    const messageId = `<pflog-${Date.now()}@one.test>`
    const sm = spawnSync('/usr/sbin/sendmail', ['-C', pfx.configDir, '-f', 'alice@one.test', 'a8@accept.test'], {
      input: `Message-ID: ${messageId}\nSubject: followed\n\nFollowed through the log.\n`,
      encoding: 'utf8',
      timeout: 30_000,
    })
    if (sm.status !== 0) throw new Error(`sendmail failed: ${sm.stderr}`)

    const count = (status: string) => (index.db.prepare('SELECT count(*) AS n FROM mail_log WHERE status = ?').get(status) as { n: number }).n
    const until = async (what: string, check: () => boolean) => {
      const end = Date.now() + 30_000
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${pfx.log()}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    // First pass, read by the timer: six acceptances, the bounce's notice, two greylistings, two refused connections, one bounce.
    await until('every recipient tried once', () => count('sent') >= 7 && count('deferred') >= 4 && count('bounced') >= 1)
    const queueId = index.queueIdOf(messageId)
    sentByMessageId = { queueId, outcomes: queueId ? index.outcomes(queueId) : [] }

    // Hold one closed.test message and delete the other, then flush the greylisted ones through.
    const waiting = pfx.queue()
    const held = waiting.find((q) => q.recipients.some((r) => r.address === 'c6@closed.test'))!.queue_id
    const deleted = waiting.find((q) => q.recipients.some((r) => r.address === 'c7@closed.test'))!.queue_id
    const tools = new PostfixTools({ runner: new LocalRunner(), configDir: pfx.configDir })
    await tools.text('postsuper', ['-h', held])
    await tools.text('postsuper', ['-d', '-'], { input: `${deleted}\n` })
    pfx.flush()
    await until('the greylisted recipients delivered', () => count('sent') >= 9 && count('held') >= 1 && count('deleted') >= 1)
    await until('the queue to hold only the held message', () => pfx.queue().length === 1)
    await index.catchUp()
    const first = /^(\w{3} +\d+ [\d:]+)/.exec(pfx.log())![1]!
    const day = localDate(new Date(`${first} ${new Date().getFullYear()}`))
    const r = await index.call('reports.day', { date: day, top: 20 })
    if (!r.ok) throw new Error(r.error.message)
    report = r.data
    pf = pflogsumm(pfx.maillog)
  }, 120_000)

  afterAll(async () => {
    await logs?.close()
    await postfix?.stop()
    await relay?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('finds the log through postconf and reads it on its timer', () => {
    expect(logs!.source).toEqual({ kind: 'file', path: postfix!.maillog })
    expect(appended).toBeGreaterThan(0)
  })

  it('follows a message handed to sendmail to "sent" by its Message-ID', () => {
    expect(sentByMessageId.queueId).toMatch(/^[0-9A-F]{6,}$/)
    expect(sentByMessageId.outcomes).toEqual([expect.objectContaining({ recipient: 'a8@accept.test', status: 'sent' })])
  })

  it('counts what pflogsumm counts: received, delivered, deferred, bounced, bytes, senders', () => {
    expect(pf.rounded).toEqual([])
    expect(pf.totals.received).toBe(TRAFFIC.length + 1)
    expect(report.totals.received).toBe(pf.totals.received)
    // Eight recipients accepted by the relay, and Postfix's notice of the bounce to its sender.
    expect(pf.totals.delivered).toBe(9)
    expect(report.totals.delivered).toBe(pf.totals.delivered)
    expect(report.totals.deferred).toBe(pf.totals.deferred)
    expect(report.totals.deferrals).toBe(pf.totals.deferrals)
    expect(report.totals.bounced).toBe(pf.totals.bounced)
    expect(report.totals.bytesReceived).toBe(pf.totals.bytesReceived)
    expect(report.totals.bytesDelivered).toBe(pf.totals.bytesDelivered)
    expect(report.totals.senders).toBe(pf.totals.senders)
    expect(report.totals.senderDomains).toBe(pf.totals.senderDomains)
  })

  it('adds what pflogsumm has no line for, and groups the problems by cause', () => {
    expect(report.totals.held).toBe(1)
    expect(report.totals.deleted).toBe(1)
    const causes = Object.fromEntries(report.deferralDetail.byCause.map((c) => [c.cause, c.count]))
    expect(causes).toMatchObject({ greylisted: 2 })
    expect(causes['connection-refused']).toBeGreaterThanOrEqual(2)
    expect(report.bounceDetail.byCause.map((c) => c.cause)).toEqual(['user-unknown'])
  })
})
