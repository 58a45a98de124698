import { afterEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../src/main/core/listener/group-commit.ts'
import type { NewMessage } from '../../../src/main/core/queue/queue.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir } from '../../helpers/engine.ts'

// The group commit on a real queue: messages that arrive while a commit is
// pending share it (one durable transaction, one fsync), each waits for the
// commit that holds it, and a failed commit writes none of its messages.

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
