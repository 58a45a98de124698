import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { ClaimedMessage } from '../../../src/main/core/queue/queue.ts'
import type { RecipientOutcome } from '../../../src/main/core/queue/outcome.ts'
import type { MailLogEntry } from '../../../src/shared/types.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// The queue as a state machine, driven by hand: the worker stays paused, the
// clock is ours, and each attempt is recorded as the worker would record it.

const START = Date.UTC(2030, 0, 15, 9, 0, 0)

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

interface Rig {
  engine: CoreEngine
  clock: { t: number }
}

async function rig(dataDir?: string, clock = { t: START }): Promise<Rig> {
  const dir = dataDir ?? tempDir()
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, now: () => clock.t, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  if (!dataDir) unwrap(await engine.call('settings.update', { settings: testSettings() }))
  return { engine, clock }
}

async function closeRig(r: Rig): Promise<void> {
  await r.engine.close()
  engines.splice(engines.indexOf(r.engine), 1)
}

async function submitOne(engine: CoreEngine, to = ['admin@example.net'], subject = 'Disk almost full'): Promise<string> {
  const [r] = await engine.submit([{ to, subject, text: 'sda1 at 91%' }])
  return r!.queueId
}

const defer = (recipient: string, reply = '451 4.7.1 Greylisted, try again later'): RecipientOutcome => ({
  recipient,
  kind: 'deferred',
  relay: 'mx.example.net[192.0.2.10]:25',
  reply,
  dsn: '4.7.1',
  tls: null,
  cause: 'greylisted',
})

const sent = (recipient: string): RecipientOutcome => ({ recipient, kind: 'sent', relay: 'mx.example.net[192.0.2.10]:25', reply: '250 2.0.0 Ok', dsn: '2.0.0', tls: 'TLSv1.3', cause: null })

/** Claims everything due and records a deferral for every pending recipient, as a failed attempt would. */
function deferAllDue(engine: CoreEngine): ClaimedMessage[] {
  const claimed = engine.queue.claimDue(100)
  for (const msg of claimed) engine.queue.recordAttempt(msg, msg.recipients.map((r) => defer(r)), engine.settings.get())
  return claimed
}

function log(engine: CoreEngine, queueId: string, status?: MailLogEntry['status']): MailLogEntry[] {
  return engine.mailLog
    .forQueueId(queueId)
    .filter((e) => !status || e.status === status)
    .reverse()
}

describe('the queue state machine', () => {
  it('submit: queued, due now, with one received row in the mail log', async () => {
    const { engine } = await rig()
    const queueId = await submitOne(engine, ['admin@example.net', 'ops@example.org'])
    expect(queueId).toMatch(/^[0-9A-F]{12}$/)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry).toMatchObject({ state: 'queued', attempts: 0, arrivalAt: START, nextAttemptAt: START, sender: 'alerts@example.test', subject: 'Disk almost full', recipientCount: 2 })
    expect(entry.recipientsDetail.map((r) => [r.address, r.status])).toEqual([
      ['admin@example.net', 'pending'],
      ['ops@example.org', 'pending'],
    ])
    const rows = log(engine, queueId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ status: 'received', at: START, sender: 'alerts@example.test', recipient: 'admin@example.net, ops@example.org', size: entry.size })
    expect(unwrap(await engine.call('queue.summary', undefined))).toMatchObject({ total: 1, byState: { queued: 1, active: 0, deferred: 0, hold: 0 } })
  })

  it('a look for due work that finds none takes no write lock (the worker looks after every commit)', async () => {
    const r = await rig()
    await submitOne(r.engine)
    // Due later than now: nothing to claim.
    r.clock.t = START - 60_000
    // Another connection holds the write lock: a claim that began a write transaction would wait for it, then fail.
    const other = new DatabaseSync(join(r.engine.dataDir, 'queue.sqlite'))
    other.exec('PRAGMA busy_timeout = 0')
    other.exec('BEGIN IMMEDIATE')
    try {
      expect(r.engine.queue.claimDue(10)).toEqual([])
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    r.clock.t = START
    expect(r.engine.queue.claimDue(10)).toHaveLength(1)
  })

  it('with the worker paused, a submitted message stays queued', async () => {
    const { engine } = await rig()
    const queueId = await submitOne(engine)
    unwrap(await engine.call('queue.flush', undefined))
    await new Promise((r) => setTimeout(r, 300))
    expect(engine.worker.activeCount).toBe(0)
    expect(unwrap(await engine.call('queue.get', { queueId }))).toMatchObject({ state: 'queued', attempts: 0 })
    expect(log(engine, queueId).map((e) => e.status)).toEqual(['received'])
  })

  it('hold keeps a message back; a second hold is a conflict; release makes it due', async () => {
    const { engine, clock } = await rig()
    const queueId = await submitOne(engine, ['admin@example.net', 'ops@example.org'])
    clock.t += 1000
    const held = unwrap(await engine.call('queue.hold', { queueId }))
    expect(held).toMatchObject({ state: 'hold', nextAttemptAt: null })
    expect(log(engine, queueId, 'held').map((e) => [e.recipient, e.at])).toEqual([
      ['admin@example.net', START + 1000],
      ['ops@example.org', START + 1000],
    ])
    expect(engine.queue.claimDue(10)).toEqual([])

    const again = await engine.call('queue.hold', { queueId })
    expect(again.ok ? null : again.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already on hold/) })

    clock.t += 60_000
    const released = unwrap(await engine.call('queue.release', { queueId }))
    expect(released).toMatchObject({ state: 'queued', nextAttemptAt: clock.t })
    expect(log(engine, queueId, 'released')).toHaveLength(2)
    const twice = await engine.call('queue.release', { queueId })
    expect(twice.ok ? null : twice.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/not on hold/) })
    expect(engine.queue.claimDue(10).map((m) => m.queueId)).toEqual([queueId])
  })

  it('a held message that failed before is released as deferred, due now', async () => {
    const { engine, clock } = await rig()
    const queueId = await submitOne(engine)
    deferAllDue(engine)
    unwrap(await engine.call('queue.hold', { queueId }))
    clock.t += 5_000
    expect(unwrap(await engine.call('queue.release', { queueId }))).toMatchObject({ state: 'deferred', attempts: 1, nextAttemptAt: clock.t })
  })

  it('retry makes a deferred message due now, and releases a held one first', async () => {
    const { engine, clock } = await rig()
    const queueId = await submitOne(engine)
    deferAllDue(engine)
    clock.t += 10_000
    expect(unwrap(await engine.call('queue.get', { queueId })).nextAttemptAt).toBe(START + 300_000)
    expect(engine.queue.claimDue(10)).toEqual([])
    expect(unwrap(await engine.call('queue.retry', { queueId }))).toMatchObject({ state: 'deferred', nextAttemptAt: clock.t })
    const [claimed] = engine.queue.claimDue(10)
    expect(claimed?.queueId).toBe(queueId)
    expect(unwrap(await engine.call('queue.get', { queueId })).state).toBe('active')

    // Being delivered right now: neither hold nor retry may touch it.
    const hold = await engine.call('queue.hold', { queueId })
    expect(hold.ok ? null : hold.error.code).toBe('conflict')
    const retry = await engine.call('queue.retry', { queueId })
    expect(retry.ok ? null : retry.error.code).toBe('conflict')

    engine.queue.recordAttempt(claimed!, [defer('admin@example.net')], engine.settings.get())
    unwrap(await engine.call('queue.hold', { queueId }))
    clock.t += 1_000
    expect(unwrap(await engine.call('queue.retry', { queueId }))).toMatchObject({ state: 'deferred', nextAttemptAt: clock.t })
    expect(log(engine, queueId, 'released')).toHaveLength(1)
  })

  it('delete removes one message, logs deleted per pending recipient, and it is not found afterwards', async () => {
    const { engine, clock } = await rig()
    const keep = await submitOne(engine, ['keep@example.net'])
    const queueId = await submitOne(engine, ['admin@example.net', 'ops@example.org', 'audit@example.com'])
    // One recipient already has the message; only the two pending are deleted.
    const [msg] = engine.queue.claimDue(10).filter((m) => m.queueId === queueId)
    engine.queue.recordAttempt(msg!, [sent('admin@example.net'), defer('ops@example.org'), defer('audit@example.com')], engine.settings.get())
    clock.t += 2_000

    expect(unwrap(await engine.call('queue.delete', { queueId }))).toEqual({ deleted: true })
    expect(log(engine, queueId, 'deleted').map((e) => e.recipient).sort()).toEqual(['audit@example.com', 'ops@example.org'])
    expect(log(engine, queueId, 'deleted')[0]).toMatchObject({ at: START + 2_000, delayMs: 2_000 })

    for (const method of ['queue.get', 'queue.delete', 'queue.hold', 'queue.release', 'queue.retry', 'queue.source'] as const) {
      const result = await engine.call(method, { queueId })
      expect(result.ok ? null : result.error, method).toMatchObject({ code: 'not_found', message: expect.stringContaining(queueId) })
    }
    expect(engine.queueView.has(keep)).toBe(true)
    expect(engine.queueView.count()).toBe(1)
    const [event] = unwrap(await engine.call('events.list', { limit: 5, text: queueId })).items
    expect(event?.message).toBe(`Message ${queueId} deleted by the administrator.`)
  })

  it('delete all returns the count, empties the queue, and logs each pending recipient as deleted', async () => {
    const { engine } = await rig()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await submitOne(engine, [`a${i}@example.net`, `b${i}@example.org`], `Alert ${i}`))
    deferAllDue(engine)
    unwrap(await engine.call('queue.hold', { queueId: ids[0]! }))
    unwrap(await engine.call('queue.retry', { queueId: ids[1]! }))
    engine.queue.claimDue(1)
    expect(engine.queueView.counts()).toMatchObject({ total: 5, hold: 1, active: 1, deferred: 3 })

    expect(unwrap(await engine.call('queue.deleteAll', undefined))).toEqual({ count: 5 })
    expect(engine.queueView.count()).toBe(0)
    expect(unwrap(await engine.call('queue.list', { limit: 50 }))).toMatchObject({ items: [], total: 0 })
    expect(unwrap(await engine.call('queue.summary', undefined))).toEqual({ total: 0, byState: { queued: 0, active: 0, deferred: 0, hold: 0 }, byDomain: [] })
    expect(engine.mailLog.count('deleted')).toBe(10)
    for (const id of ids) expect(log(engine, id, 'deleted')).toHaveLength(2)
    expect(unwrap(await engine.call('queue.deleteAll', undefined))).toEqual({ count: 0 })
  })

  it('a message deleted during its delivery is logged by what that attempt did: sent, bounced, or else deleted', async () => {
    const { engine, clock } = await rig()
    const ids = [
      await submitOne(engine, ['took@example.net', 'busy@example.net'], 'Mixed'),
      await submitOne(engine, ['gone@example.net'], 'Refused'),
      await submitOne(engine, ['waiting@example.net'], 'Not claimed'),
    ]
    const claimed = engine.queue.claimDue(2)
    expect(claimed.map((m) => m.queueId)).toEqual(ids.slice(0, 2))
    clock.t += 2_000
    // Delete Queue while the two claimed are in flight: only the third is logged deleted now.
    expect(engine.queue.deleteAll(new Set(ids.slice(0, 2)))).toBe(3)
    expect(engine.mailLog.count('deleted')).toBe(1)
    expect(log(engine, ids[2]!, 'deleted')).toHaveLength(1)
    clock.t += 1_000
    const bounce: RecipientOutcome = { ...defer('gone@example.net', '550 5.1.1 User unknown'), kind: 'bounced', dsn: '5.1.1', cause: 'user-unknown' }
    const summaries = engine.queue.recordAttempts(
      [
        { msg: claimed[0]!, outcomes: [sent('took@example.net'), defer('busy@example.net')] },
        { msg: claimed[1]!, outcomes: [bounce] },
      ],
      engine.settings.get(),
    )
    expect(summaries.map((s) => s.result)).toEqual(['vanished', 'vanished'])
    expect(log(engine, ids[0]!).map((e) => `${e.recipient} ${e.status}`).sort()).toEqual([
      'busy@example.net deleted',
      'took@example.net sent',
      'took@example.net, busy@example.net received',
    ])
    expect(log(engine, ids[0]!, 'deleted')[0]).toMatchObject({ at: START + 3_000, delayMs: 3_000, reply: 'deleted by the administrator (Delete Queue); last attempt: 451 4.7.1 Greylisted, try again later' })
    expect(log(engine, ids[1]!).map((e) => e.status).sort()).toEqual(['bounced', 'received'])
    expect(engine.db.prepare("SELECT count(*) AS n FROM meta WHERE k LIKE 'deleting:%'").get()).toEqual({ n: 0 })
  })

  it('a message deleted during a delivery the console never saw end is logged deleted at the next start', async () => {
    const first = await rig()
    const queueId = await submitOne(first.engine, ['a@example.net', 'b@example.net'], 'In flight at the crash')
    expect(first.engine.queue.claimDue(1)).toHaveLength(1)
    expect(unwrap(await first.engine.call('queue.delete', { queueId: queueId }))).toEqual({ deleted: true })
    // The worker was paused, so nothing was in flight: the rows are written at once.
    expect(log(first.engine, queueId, 'deleted')).toHaveLength(2)
    const other = await submitOne(first.engine, ['c@example.net'], 'Also in flight')
    first.engine.queue.claimDue(1)
    first.engine.queue.deleteOne(other, true)
    expect(log(first.engine, other, 'deleted')).toHaveLength(0)
    await closeRig(first)

    const second = await rig(first.engine.dataDir)
    expect(log(second.engine, other, 'deleted')).toMatchObject([
      { recipient: 'c@example.net', reply: 'deleted by the administrator; the console stopped before the delivery in progress ended' },
    ])
    expect(second.engine.queueView.count()).toBe(0)
    await closeRig(second)
    const third = await rig(first.engine.dataDir)
    expect(log(third.engine, other, 'deleted')).toHaveLength(1)
  })

  it('flush makes every deferred message due now, but not a held one', async () => {
    const { engine, clock } = await rig()
    const ids = [await submitOne(engine), await submitOne(engine), await submitOne(engine)]
    expect(deferAllDue(engine)).toHaveLength(3)
    const held = await submitOne(engine)
    deferAllDue(engine)
    unwrap(await engine.call('queue.hold', { queueId: held }))
    clock.t += 10_000
    expect(engine.queue.claimDue(10)).toEqual([])

    expect(unwrap(await engine.call('queue.flush', undefined))).toEqual({ count: 3 })
    for (const queueId of ids) expect(unwrap(await engine.call('queue.get', { queueId })).nextAttemptAt).toBe(clock.t)
    expect(unwrap(await engine.call('queue.get', { queueId: held })).state).toBe('hold')
    expect(engine.queue.claimDue(10).map((m) => m.queueId).sort()).toEqual([...ids].sort())
  })

  it('consecutive deferrals back off 300, 600, 1200, 2400, then 4000 s at most', async () => {
    const { engine, clock } = await rig()
    const queueId = await submitOne(engine)
    const gaps: number[] = []
    for (let attempt = 1; attempt <= 6; attempt++) {
      const [msg] = engine.queue.claimDue(10)
      expect(msg?.queueId, `attempt ${attempt} is due`).toBe(queueId)
      expect(msg!.attempts).toBe(attempt - 1)
      const summary = engine.queue.recordAttempt(msg!, [defer('admin@example.net')], engine.settings.get())
      expect(summary).toMatchObject({ result: 'deferred', deferred: 1 })
      const entry = unwrap(await engine.call('queue.get', { queueId }))
      expect(entry).toMatchObject({ state: 'deferred', attempts: attempt, nextAttemptAt: summary.nextAttemptAt, reason: '451 4.7.1 Greylisted, try again later' })
      gaps.push((summary.nextAttemptAt! - clock.t) / 1000)
      // Not a millisecond early.
      clock.t = summary.nextAttemptAt! - 1
      expect(engine.queue.claimDue(10)).toEqual([])
      clock.t += 1
    }
    expect(gaps).toEqual([300, 600, 1200, 2400, 4000, 4000])
    expect(log(engine, queueId, 'deferred')).toHaveLength(6)
  })

  it('the schedule follows the backoff settings', async () => {
    const { engine, clock } = await rig()
    unwrap(await engine.call('settings.update', { settings: testSettings({ minBackoffSec: 60, maxBackoffSec: 200 }) }))
    await submitOne(engine)
    const gaps: number[] = []
    for (let i = 0; i < 4; i++) {
      const [msg] = engine.queue.claimDue(10)
      const summary = engine.queue.recordAttempt(msg!, [defer('admin@example.net')], engine.settings.get())
      gaps.push((summary.nextAttemptAt! - clock.t) / 1000)
      clock.t = summary.nextAttemptAt!
    }
    expect(gaps).toEqual([60, 120, 200, 200])
  })

  it('after the maximal queue lifetime the next failed attempt expires the pending recipients and removes the message', async () => {
    const { engine, clock } = await rig()
    const lifetimeMs = engine.settings.get().maxQueueLifetimeSec * 1000
    expect(lifetimeMs).toBe(5 * 86400 * 1000)
    const queueId = await submitOne(engine, ['admin@example.net', 'ops@example.org'])

    let [msg] = engine.queue.claimDue(10)
    engine.queue.recordAttempt(msg!, [sent('admin@example.net'), defer('ops@example.org')], engine.settings.get())

    // A second before the lifetime ends, a failure still defers.
    clock.t = START + lifetimeMs - 1000
    ;[msg] = engine.queue.claimDue(10)
    expect(engine.queue.recordAttempt(msg!, [defer('ops@example.org')], engine.settings.get())).toMatchObject({ result: 'deferred', expired: 0 })

    clock.t = START + lifetimeMs
    unwrap(await engine.call('queue.flush', undefined))
    ;[msg] = engine.queue.claimDue(10)
    expect(msg!.recipients).toEqual(['ops@example.org'])
    const summary = engine.queue.recordAttempt(msg!, [defer('ops@example.org', '450 4.2.0 Mailbox busy')], engine.settings.get())
    expect(summary).toMatchObject({ result: 'done', expired: 1, nextAttemptAt: null })

    expect(engine.queueView.has(queueId)).toBe(false)
    const expired = log(engine, queueId, 'expired')
    expect(expired).toHaveLength(1)
    expect(expired[0]).toMatchObject({ recipient: 'ops@example.org', dsn: '4.4.7', at: clock.t, delayMs: lifetimeMs })
    expect(expired[0]!.reply).toMatch(/expired after the maximal queue lifetime; last error: 450 4\.2\.0 Mailbox busy/)
    // The recipient that had the message is not reported as expired.
    expect(log(engine, queueId).map((e) => `${e.status} ${e.recipient}`)).toEqual([
      'received admin@example.net, ops@example.org',
      'sent admin@example.net',
      'deferred ops@example.org',
      'deferred ops@example.org',
      'deferred ops@example.org',
      'expired ops@example.org',
    ])
    // Like every other failed row, the expired one explains itself in the admin's words.
    expect(expired[0]!.explanation).toMatchObject({ cause: 'expired', summary: expect.any(String), fix: expect.any(String) })
  })

  it('messages a crash left active are due again at the next start, with a warning', async () => {
    const first = await rig()
    const idle = await submitOne(first.engine, ['audit@example.com'], 'Waiting')
    unwrap(await first.engine.call('queue.hold', { queueId: idle }))
    const retried = await submitOne(first.engine, ['ops@example.org'], 'Tried once')
    const [once] = first.engine.queue.claimDue(10)
    expect(once?.queueId).toBe(retried)
    first.engine.queue.recordAttempt(once!, [defer('ops@example.org')], first.engine.settings.get())
    const fresh = await submitOne(first.engine, ['admin@example.net'], 'Never tried')
    first.clock.t += 1000
    unwrap(await first.engine.call('queue.retry', { queueId: retried }))
    // Both are claimed and never recorded, as when the process dies mid-delivery.
    expect(first.engine.queue.claimDue(10).map((m) => m.queueId).sort()).toEqual([fresh, retried].sort())
    expect(first.engine.queueView.counts()).toMatchObject({ active: 2, hold: 1, total: 3 })
    await closeRig(first)

    const clock = { t: START + 3_600_000 }
    const second = await rig(first.engine.dataDir, clock)
    expect(unwrap(await second.engine.call('queue.get', { queueId: fresh }))).toMatchObject({ state: 'queued', attempts: 0, nextAttemptAt: clock.t })
    expect(unwrap(await second.engine.call('queue.get', { queueId: retried }))).toMatchObject({ state: 'deferred', attempts: 1, nextAttemptAt: clock.t })
    expect(unwrap(await second.engine.call('queue.get', { queueId: idle })).state).toBe('hold')
    expect(second.engine.queue.claimDue(10).map((m) => m.queueId).sort()).toEqual([fresh, retried].sort())

    const warnings = unwrap(await second.engine.call('events.list', { limit: 10, level: 'warning' })).items
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/^2 message\(s\) were being delivered when the console stopped/))
  })
})
