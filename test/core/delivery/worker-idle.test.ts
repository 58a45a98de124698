import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryWorker } from '../../../src/main/core/delivery/worker.ts'
import { buildTransport } from '../../../src/main/core/delivery/transport.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// The worker's housekeeping moment (the engine checkpoints the write-ahead log
// then) comes once the worker has stayed idle for a while, not in each gap of
// a burst that arrives message by message: a checkpoint there cost two fsyncs
// on the event loop per gap.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function workerOn(idleAfterMs: number): Promise<{ engine: CoreEngine; worker: DeliveryWorker; idles: () => number; received: () => number }> {
  const smtp = await startSmtp({ tls: 'none' })
  cleanups.push(() => smtp.close())
  // The engine's own worker stays paused: this one is watched alone.
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port }, { startWorker: false })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  const transport = buildTransport(engine.settings.get(), { directPort: 25, dnsServers: null, auth: () => Promise.resolve(null) })
  cleanups.push(() => transport.close())
  let idles = 0
  const worker = new DeliveryWorker(
    {
      queue: engine.queue,
      transport: () => transport,
      policy: () => engine.settings.get(),
      concurrency: () => 2,
      hooksFor: () => undefined,
      onAttempt: () => undefined,
      onError: (err) => {
        throw err
      },
      onIdle: () => idles++,
      now: Date.now,
    },
    { idleAfterMs },
  )
  cleanups.push(() => worker.stop(0))
  return { engine, worker, idles: () => idles, received: () => smtp.received.length }
}

const message = (i: number) => ({ sender: 'cron@example.test', subject: `m${i}`, messageId: `m${i}@example.test`, raw: Buffer.from(`Subject: m${i}\r\n\r\nx\r\n`), recipients: ['ops@example.net'] })

describe('the delivery worker between messages', () => {
  it('does not call onIdle in the gaps between messages that arrive one by one', async () => {
    const { engine, worker, idles, received } = await workerOn(60_000)
    worker.start()
    for (let i = 0; i < 5; i++) {
      engine.queue.submit([message(i)])
      worker.wake()
      await waitFor(() => received() === i + 1 && worker.activeCount === 0 && engine.queueView.count() === 0, `message ${i} delivered and recorded`)
    }
    // Idle five times over, for less than the minute it waits: no housekeeping yet.
    expect(idles()).toBe(0)
  })

  it('calls onIdle once when it has stayed idle after a burst', async () => {
    const { engine, worker, idles, received } = await workerOn(50)
    engine.queue.submit([0, 1, 2, 3].map(message))
    worker.start()
    await waitFor(() => received() === 4 && engine.queueView.count() === 0, 'the burst delivered')
    await waitFor(() => idles() === 1, 'onIdle after the quiet spell')
  })
})
