import { afterEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../src/main/core/listener/group-commit.ts'
import type { NewMessage } from '../../../src/main/core/queue/queue.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, waitFor } from '../../helpers/engine.ts'

// The group commit on a real queue: messages that arrive while a commit or an
// fsync is pending share the next (one transaction, one fsync), each waits
// for the fsync that covers it, and a failed commit writes none of its messages.

const engines: CoreEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) {
    await e.close()
    removeDir(e.dataDir)
  }
})

const message = (i: number): NewMessage => ({ sender: 'cron@example.test', subject: `m${i}`, messageId: `m${i}@example.test`, raw: Buffer.from(`Subject: m${i}\r\n\r\nx\r\n`), recipients: ['ops@example.net'] })

async function queueEngine(): Promise<CoreEngine> {
  const engine = await engineWith({}, { startWorker: false })
  engines.push(engine)
  return engine
}

describe('group commit', () => {
  it('commits the messages that arrived during one turn together, and resolves each with its own queue id once it is on disk', async () => {
    const engine = await queueEngine()
    const batches: number[] = []
    const commit = new GroupCommit({ submit: (m) => engine.queue.submit(m), committed: (n) => batches.push(n) })
    const first = await Promise.all([0, 1, 2, 3, 4].map((i) => commit.add(message(i))))
    // Added in one turn: one commit for five.
    expect(batches).toEqual([5])
    expect(new Set(first).size).toBe(5)
    for (const id of first) expect(engine.queueView.has(id)).toBe(true)
    const later = commit.add(message(5))
    expect(engine.queueView.count()).toBe(5)
    await later
    expect(batches).toEqual([5, 1])
    expect(commit.stats).toMatchObject({ commits: 2, messages: 6 })
  })

  it('with batches of one, commits each message alone (the ungrouped baseline)', async () => {
    const engine = await queueEngine()
    const batches: number[] = []
    const commit = new GroupCommit({ submit: (m) => engine.queue.submit(m), committed: (n) => batches.push(n), maxBatch: 1 })
    await Promise.all([0, 1, 2].map((i) => commit.add(message(i))))
    expect(batches).toEqual([1, 1, 1])
  })

  it('with an fsync off the event loop, answers a message only once a sync begun after its commit has ended; those arriving meanwhile share the next transaction and sync', async () => {
    const engine = await queueEngine()
    // The stand-in for the fsync of the log: each call waits until the test lets it end.
    const syncs: (() => void)[] = []
    const commit = new GroupCommit({ submit: (m) => engine.queue.submit(m, false), sync: () => new Promise<void>((resolve) => syncs.push(resolve)) })
    const answered: string[] = []
    const add = (i: number) => commit.add(message(i)).then((id) => void answered.push(id))
    const first = add(0)
    await waitFor(() => syncs.length === 1, 'the first sync')
    expect(engine.queueView.count()).toBe(1)
    // Arriving while that sync runs: not answered by it, and held for one transaction after it.
    const later = [add(1), add(2)]
    await new Promise((resolve) => setImmediate(resolve))
    expect(engine.queueView.count()).toBe(1)
    syncs[0]!()
    await first
    expect(answered.length).toBe(1)
    await waitFor(() => syncs.length === 2, 'one more sync for the two')
    expect(engine.queueView.count()).toBe(3)
    expect(answered.length).toBe(1)
    syncs[1]!()
    await Promise.all(later)
    expect(answered.length).toBe(3)
    expect(commit.stats).toMatchObject({ commits: 2, messages: 3, syncs: 2 })
    await commit.drained()
  })

  it('refuses the messages whose sync failed, and no later message waits on it', async () => {
    const engine = await queueEngine()
    let fail = true
    const commit = new GroupCommit({ submit: (m) => engine.queue.submit(m, false), sync: () => (fail ? Promise.reject(new Error('EIO: i/o error, fdatasync')) : Promise.resolve()) })
    await expect(commit.add(message(0))).rejects.toThrow(/fdatasync/)
    fail = false
    await expect(commit.add(message(1))).resolves.toMatch(/^[0-9A-F]{12}$/)
    await commit.drained()
  })

  it('rejects every message of a commit that failed, and none of them is queued', async () => {
    const engine = await queueEngine()
    const commit = new GroupCommit({ submit: (m) => engine.queue.submit(m) })
    // A message the table refuses (a NULL sender) fails the whole transaction, the good ones with it.
    const bad = { ...message(1), sender: null as unknown as string }
    const results = await Promise.allSettled([commit.add(message(0)), commit.add(bad), commit.add(message(2))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(engine.queueView.count()).toBe(0)
    expect(engine.mailLog.count('received')).toBe(0)
    await commit.drained()
  })
})
