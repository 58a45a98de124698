import { afterEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../src/main/core/listener/group-commit.ts'
import { SubmitHandoff } from '../../../src/main/core/engine/submit-handoff.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { NewMessage } from '../../../src/main/core/queue/queue.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Local submission hands a message to the worker in the transaction that
// queues it when a session is free (no second transaction to claim it), and
// the worker takes it only once its fsync has ended and only if it is still
// in the queue: a message the admin deleted meanwhile is never sent.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const message = (i: number, recipients = ['ops@example.net']): NewMessage => ({
  sender: 'cron@example.test',
  subject: `m${i}`,
  messageId: `m${i}@example.test`,
  raw: Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`),
  recipients,
})

async function relayEngine(startWorker: boolean): Promise<{ engine: CoreEngine; smtp: TestSmtp }> {
  const smtp = await startSmtp({ tls: 'none' })
  cleanups.push(() => smtp.close())
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 2 }, { startWorker })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return { engine, smtp }
}

/** A group commit on the engine's queue and worker whose fsync ends when the test says so. */
function gatedCommit(engine: CoreEngine): { commit: GroupCommit; syncs: (() => void)[] } {
  const handoff = new SubmitHandoff(engine.queue, engine.worker)
  const syncs: (() => void)[] = []
  const commit = new GroupCommit({ submit: (m) => handoff.submit(m), sync: () => new Promise<void>((resolve) => syncs.push(resolve)), synced: (ids) => handoff.synced(ids) })
  return { commit, syncs }
}

describe('submit and claim in one transaction', () => {
  it('stores the claimed messages active, as the worker takes them, and the rest queued', async () => {
    const { engine } = await relayEngine(false)
    const { ids, claimed } = engine.queue.submitAndClaim([message(0, ['b@example.net', 'a@example.net', 'b@example.net']), message(1)], true, 1)
    expect(claimed.map((c) => c.queueId)).toEqual([ids[0]])
    expect(claimed[0]).toMatchObject({ sender: 'cron@example.test', subject: 'm0', messageId: 'm0@example.test', attempts: 0, isTest: false, recipients: ['a@example.net', 'b@example.net'] })
    expect(claimed[0]!.raw.toString()).toBe('Subject: m0\r\n\r\nbody 0\r\n')
    expect(engine.queueView.counts()).toMatchObject({ active: 1, queued: 1 })
    // The worker's own claim finds only the other one.
    expect(engine.queue.claimDue(10).map((c) => c.queueId)).toEqual([ids[1]])
  })

  it('delivers a message claimed at submit once its fsync has ended, with no claim of the worker in between', async () => {
    const { engine, smtp } = await relayEngine(true)
    const { commit, syncs } = gatedCommit(engine)
    const queued = commit.add(message(0))
    await waitFor(() => syncs.length === 1, 'the fsync')
    // Claimed in the transaction that queued it: active before the worker looked.
    expect(engine.queueView.counts()).toMatchObject({ active: 1 })
    expect(smtp.received).toHaveLength(0)
    syncs[0]!()
    const queueId = await queued
    await waitFor(() => engine.mailLog.forQueueId(queueId).some((e) => e.status === 'sent'), 'the message sent')
    expect(smtp.received).toHaveLength(1)
    expect(engine.queueView.count()).toBe(0)
  })

  it('never sends a message claimed at submit that the admin deleted before its fsync ended', async () => {
    const { engine, smtp } = await relayEngine(true)
    const { commit, syncs } = gatedCommit(engine)
    const first = commit.add(message(0))
    await waitFor(() => syncs.length === 1, 'the fsync')
    const row = engine.db.prepare('SELECT queue_id AS queueId FROM messages').get() as { queueId: string }
    unwrap(await engine.call('queue.delete', { queueId: row.queueId }))
    syncs[0]!()
    const queueId = await first
    expect(queueId).toBe(row.queueId)
    // A later message goes through the same worker: once it is sent, the deleted one had its chance to go wrongly.
    const second = commit.add(message(1))
    await waitFor(() => syncs.length === 2, 'the second fsync')
    syncs[1]!()
    const secondId = await second
    await waitFor(() => engine.mailLog.forQueueId(secondId).some((e) => e.status === 'sent'), 'the second message sent')
    expect(smtp.received.filter((r) => r.raw.includes('body 0'))).toEqual([])
    expect(smtp.received).toHaveLength(1)
    expect(engine.mailLog.forQueueId(queueId).map((e) => e.status).sort()).toEqual(['deleted', 'received'])
  })
})
