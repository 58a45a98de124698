import { afterEach, describe, expect, it } from 'vitest'
import { compose, compositionsInProgress } from '../../../src/main/core/queue/compose.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// A burst of work must leave nothing behind and hold only a bounded amount at
// once: the main process's memory during 5,000 test emails is measured by
// bench/memory.ts; these are the bounds behind that figure.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function relayEngine(server: TestSmtp, startWorker = true): Promise<CoreEngine> {
  cleanups.push(() => server.close())
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: server.port }, { startWorker })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return engine
}

describe('a burst of work', () => {
  it('composes at most 4 messages at a time, however many are asked for at once', async () => {
    let most = 0
    const all = Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        compose({ fromName: 'Ops', fromAddress: 'alerts@example.test', to: [`ops${i}@example.net`], subject: `burst ${i}`, text: 'x', hostname: 'console.example.test', date: new Date() }),
      ),
    )
    let done = false
    void all.then(() => (done = true))
    // Sampled at every turn of the event loop until the last one is composed (bounded: 10,000 turns).
    for (let i = 0; i < 10_000 && !done; i++) {
      most = Math.max(most, compositionsInProgress())
      await new Promise((r) => setImmediate(r))
    }
    const composed = await all
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(4)
    expect(compositionsInProgress()).toBe(0)
    expect(new Set(composed.map((c) => c.messageId)).size).toBe(40)
    composed.forEach((c, i) => expect(c.raw.toString()).toContain(`To: ops${i}@example.net`))
  })

  it('test emails sent in a burst leave nothing watched and no listener behind', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await relayEngine(server)
    const progress: string[] = []
    const off = engine.on('delivery.progress', (p) => progress.push(p.stage))
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => engine.call('mail.sendTest', { to: `ops${i}@example.net` })))
    expect(ids.every((r) => r.ok)).toBe(true)
    await waitFor(() => engine.queueView.count() === 0 && engine.worker.activeCount === 0, 'the burst to be delivered')
    off()
    expect(server.received).toHaveLength(30)
    expect(progress.filter((s) => s === 'sent')).toHaveLength(30)
    expect(engine.watch.watching().length).toBe(0)
    expect(engine.notifier.listenerCount('delivery.progress')).toBe(0)
  })

  it('a message retried by hand and then deleted before its attempt is no longer watched', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await relayEngine(server, false)
    const [a, b] = await engine.submit([
      { to: ['a@example.net'], subject: 'a', text: 'x' },
      { to: ['b@example.net'], subject: 'b', text: 'x' },
    ])
    unwrap(await engine.call('queue.retry', { queueId: a!.queueId }))
    unwrap(await engine.call('queue.retry', { queueId: b!.queueId }))
    unwrap(await engine.call('queue.delete', { queueId: a!.queueId }))
    expect(engine.watch.watching()).toEqual([b!.queueId])
    unwrap(await engine.call('queue.deleteAll', undefined))
    expect(engine.watch.watching().length).toBe(0)
  })
})
