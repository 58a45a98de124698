import { fork } from 'node:child_process'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { QueueProgress } from '../../../src/shared/types.ts'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import type { NewMessage } from '../../../src/main/core/queue/queue.ts'
import { forEach } from '../../../src/main/core/queue/outcome.ts'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings.ts'
import { expectCountsMatchRows } from '../../helpers/queue-counts.ts'
import { engineWith, removeDir, tempDir, unwrap } from '../../helpers/engine.ts'

// Bulk actions at incident scale: Delete Queue in chunks that a SIGKILL cannot
// leave half done, one bulk action at a time, the API answering meanwhile,
// and actions on the Mail Queue's filter touching exactly what it selects.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const RAW = Buffer.from('From: x@example.test\r\nTo: y@example.test\r\nSubject: bulk\r\n\r\nbody\r\n')

function draft(sender: string, recipients: string[], i: number): NewMessage {
  return { sender, subject: `bulk ${i}`, messageId: `<bulk-${i}@example.test>`, raw: RAW, recipients }
}

function deletedLogRows(db: DatabaseSync): { queueIds: number; rows: number } {
  return db.prepare("SELECT count(DISTINCT queue_id) AS queueIds, count(*) AS rows FROM mail_log WHERE status = 'deleted'").get() as { queueIds: number; rows: number }
}

describe('actions on the Mail Queue filter', () => {
  it('touch exactly the matching messages (and their counts) in a queue of other senders, domains and states', async () => {
    const engine = await engineWith({}, { startWorker: false })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    engine.bulk.chunk = 4
    // 60 messages: three senders, recipients at three domains (some at two), then some deferred and some held.
    const senders = ['runaway@app.example.test', 'alerts@example.test', 'billing@example.test']
    const domains = ['example.org', 'example.net', 'slow.example.com']
    const drafts = Array.from({ length: 60 }, (_, i) => {
      const to = [`u${i}@${domains[i % 3]}`]
      if (i % 5 === 0) to.push(`v${i}@${domains[(i + 1) % 3]}`)
      return draft(senders[i % 4 === 0 ? 0 : (i % 2) + 1]!, to, i)
    })
    const ids = engine.queue.submit(drafts)
    // Every fourth claimed and deferred by a (recorded) failed attempt; every seventh held.
    const claimed = engine.queue.claimDue(60).filter((m) => ids.indexOf(m.queueId) % 4 === 1)
    const deferredIds = new Set(claimed.map((m) => m.queueId))
    const policy = { ...DEFAULT_SETTINGS }
    engine.queue.recordAttempts(
      claimed.map((msg) => ({ msg, outcomes: forEach(msg.recipients, { kind: 'deferred', relay: null, reply: '451 4.7.1 later', dsn: '4.7.1', tls: null, cause: null }) })),
      policy,
    )
    // The others claimed with them go back to the queue untried.
    engine.queue.unclaim(ids.map((_, i) => i + 1))
    for (const [i, id] of ids.entries()) if (i % 7 === 3 && !deferredIds.has(id)) unwrap(await engine.call('queue.hold', { queueId: id }))
    expectCountsMatchRows(engine.db, engine)
    const stateOf = () => new Map((engine.db.prepare('SELECT queue_id, state FROM messages').all() as { queue_id: string; state: string }[]).map((r) => [r.queue_id, r.state]))
    const before = stateOf()
    expect(new Set(before.values())).toEqual(new Set(['queued', 'deferred', 'hold']))

    // The runaway sender's mail to example.org (as a recipient domain, pending): what the filter selects, computed here from the drafts.
    const filter = { sender: 'runaway', domain: 'EXAMPLE.org' }
    const matching = ids.filter((_, i) => drafts[i]!.sender.startsWith('runaway') && drafts[i]!.recipients.some((r) => r.endsWith('@example.org')))
    expect(matching.length).toBeGreaterThan(2)
    expect(unwrap(await engine.call('queue.countMatching', { filter }))).toEqual({ count: matching.length })

    // Hold: the matching queued/deferred ones go on hold, nothing else moves.
    const holdable = matching.filter((id) => before.get(id) !== 'hold')
    expect(unwrap(await engine.call('queue.actOnMatching', { filter, action: 'hold' }))).toEqual({ action: 'hold', count: holdable.length })
    const afterHold = stateOf()
    for (const [id, state] of before) expect([id, afterHold.get(id)]).toEqual([id, matching.includes(id) ? 'hold' : state])
    expectCountsMatchRows(engine.db, engine)

    // Release, with a State filter on top: only held matching ones, made due again.
    const released = unwrap(await engine.call('queue.actOnMatching', { filter: { ...filter, state: 'hold' }, action: 'release' }))
    expect(released.count).toBe(matching.length)
    const afterRelease = stateOf()
    for (const [id, state] of before) {
      const expected = matching.includes(id) ? (deferredIds.has(id) ? 'deferred' : 'queued') : state
      expect([id, afterRelease.get(id)]).toEqual([id, expected])
    }
    expectCountsMatchRows(engine.db, engine)

    // Delete: the matching messages go, each pending recipient logged once; everything else stays as it was.
    const pendingOfMatching = (engine.db.prepare("SELECT count(*) AS n FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.status = 'pending' AND m.queue_id IN (SELECT value FROM json_each(?))").get(JSON.stringify(matching)) as { n: number }).n
    expect(unwrap(await engine.call('queue.actOnMatching', { filter, action: 'delete' }))).toEqual({ action: 'delete', count: matching.length })
    const afterDelete = stateOf()
    expect([...afterDelete.keys()].sort()).toEqual(ids.filter((id) => !matching.includes(id)).sort())
    for (const [id, state] of afterDelete) expect([id, state]).toEqual([id, afterRelease.get(id)])
    expect(deletedLogRows(engine.db)).toEqual({ queueIds: matching.length, rows: pendingOfMatching })
    expectCountsMatchRows(engine.db, engine)
    expect(unwrap(await engine.call('queue.countMatching', { filter }))).toEqual({ count: 0 })

    // Retry now on a state: the deferred ones become due, the rest untouched.
    const now = Date.now()
    const retried = unwrap(await engine.call('queue.actOnMatching', { filter: { state: 'deferred' }, action: 'retry' }))
    expect(retried.count).toBe([...afterDelete.values()].filter((s) => s === 'deferred').length)
    const notDue = engine.db.prepare("SELECT count(*) AS n FROM messages WHERE state = 'deferred' AND next_attempt_at > ?").get(now + 1000) as { n: number }
    expect(notDue.n).toBe(0)
    expectCountsMatchRows(engine.db, engine)
  })

  it('refuses a filter it cannot read, in the admin’s words, and changes nothing', async () => {
    const engine = await engineWith({}, { startWorker: false })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    const { parseRequest } = await import('../../../src/shared/api.ts')
    const bad = parseRequest('queue.actOnMatching', { filter: { olderThanMinutes: -5 }, action: 'delete' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.message).toMatch(/Older than must be at least 1 minute/)
    const badDomain = parseRequest('queue.countMatching', { filter: { domain: 'a b;c' } })
    expect(badDomain.ok).toBe(false)
    if (!badDomain.ok) expect(badDomain.error.message).toMatch(/recipient domain/)
  })
})

describe('Delete Queue in chunks', () => {
  it('runs one bulk action at a time, answers the API meanwhile, and says how far it got', async () => {
    const engine = await engineWith({}, { startWorker: false })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    engine.bulk.chunk = 100
    engine.queue.submit(Array.from({ length: 1000 }, (_, i) => draft('alerts@example.test', [`u${i}@example.net`], i)))
    const progress: QueueProgress[] = []
    engine.on('queue.progress', (p) => progress.push(p))
    const order: string[] = []
    const deleting = engine.call('queue.deleteAll', undefined).then((r) => {
      order.push('deleteAll')
      return r
    })
    const second = await engine.call('queue.flush', undefined)
    expect(second).toEqual({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/^Delete Queue is still running \(\d+ of 1,000 messages done\)\. Wait for it to finish/) } })
    const status = unwrap(await engine.call('status.get', undefined))
    order.push('status.get')
    // The status answered between chunks, with the counts as they were then.
    expect(status.counts.total).toBeGreaterThan(0)
    expect(status.counts.total).toBeLessThan(1000)
    expect(unwrap(await deleting)).toEqual({ count: 1000 })
    expect(order).toEqual(['status.get', 'deleteAll'])
    expect(progress[0]).toEqual({ action: 'deleteAll', done: 0, total: 1000, finished: false })
    expect(progress.at(-1)).toEqual({ action: 'deleteAll', done: 1000, total: 1000, finished: true })
    expect(progress.length).toBeGreaterThanOrEqual(11)
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done)
    expect(deletedLogRows(engine.db)).toEqual({ queueIds: 1000, rows: 1000 })
    // Done: the next bulk action is taken.
    expect(unwrap(await engine.call('queue.flush', undefined))).toEqual({ count: 0 })
  })

  it('stops between two chunks when the engine closes, and the rest is deleted after the restart', async () => {
    const dataDir = tempDir()
    cleanups.push(() => removeDir(dataDir))
    const engine = await openEngine({ dataDir, startWorker: false })
    engine.bulk.chunk = 50
    engine.queue.submit(Array.from({ length: 2000 }, (_, i) => draft('alerts@example.test', [`u${i}@example.net`], i)))
    let closing: Promise<void> | null = null
    engine.on('queue.progress', (p) => {
      if (p.done >= 200 && !closing) closing = engine.close()
    })
    const partial = await engine.call('queue.deleteAll', undefined)
    await closing
    expect(partial.ok).toBe(true)
    const deleted = partial.ok ? partial.data.count : -1
    expect(deleted).toBeGreaterThanOrEqual(200)
    expect(deleted).toBeLessThan(2000)

    const again = await openEngine({ dataDir, startWorker: false })
    cleanups.push(() => again.close())
    expect(again.queueView.count()).toBe(2000 - deleted)
    expectCountsMatchRows(again.db, again)
    expect(deletedLogRows(again.db)).toEqual({ queueIds: deleted, rows: deleted })
    expect(unwrap(await again.call('queue.deleteAll', undefined))).toEqual({ count: 2000 - deleted })
    expect(deletedLogRows(again.db)).toEqual({ queueIds: 2000, rows: 2000 })
  })

  it('of 100k, SIGKILLed half way, leaves no half-deleted message; the rest is deleted again', async () => {
    const dataDir = tempDir()
    cleanups.push(() => removeDir(dataDir))
    const TOTAL = 100_000
    {
      const setup = await openEngine({ dataDir, startWorker: false })
      for (let i = 0; i < TOTAL; i += 5000) {
        setup.queue.submit(Array.from({ length: 5000 }, (_, j) => draft('alerts@example.test', [`u${i + j}@d${(i + j) % 50}.example.test`], i + j)))
      }
      await setup.close()
    }
    const child = fork(join(import.meta.dirname, '..', '..', 'helpers', 'engine-child.ts'), [dataDir, 'delete-all', '5000'], { stdio: 'ignore' })
    cleanups.push(() => void child.kill('SIGKILL'))
    const killedAt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Delete Queue in the child never reached 20,000')), 60_000)
      child.on('message', (m: { progress?: QueueProgress }) => {
        if (m.progress && m.progress.done >= 20_000 && !m.progress.finished) {
          clearTimeout(timer)
          child.kill('SIGKILL')
          resolve(m.progress.done)
        }
      })
    })
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))
    expect(killedAt).toBeLessThan(TOTAL)

    const engine = await openEngine({ dataDir, startWorker: false })
    cleanups.push(() => engine.close())
    const left = engine.queueView.count()
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(TOTAL - killedAt)
    expectCountsMatchRows(engine.db, engine)
    // Each message is either in the queue with its recipients, or gone and logged deleted once: never both, never neither.
    expect(deletedLogRows(engine.db)).toEqual({ queueIds: TOTAL - left, rows: TOTAL - left })
    const both = engine.db.prepare("SELECT count(*) AS n FROM messages m WHERE EXISTS (SELECT 1 FROM mail_log l WHERE l.queue_id = m.queue_id AND l.status = 'deleted')").get() as { n: number }
    expect(both.n).toBe(0)
    const orphans = engine.db.prepare('SELECT count(*) AS n FROM recipients r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)').get() as { n: number }
    expect(orphans.n).toBe(0)
    expect(unwrap(await engine.call('queue.deleteAll', undefined))).toEqual({ count: left })
    expect(engine.queueView.count()).toBe(0)
    expect(deletedLogRows(engine.db)).toEqual({ queueIds: TOTAL, rows: TOTAL })
    expectCountsMatchRows(engine.db, engine)
  }, 120_000)
})
