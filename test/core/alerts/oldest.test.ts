import { afterEach, describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/shared/alerts.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort } from '../../helpers/smtp.ts'

// The Message age alert from a real engine: a message grows old without an
// event, so only the monitor's own look at the queue (its timer, or a check)
// can see it. The engine's clock is moved by hand past the threshold; the age
// comes from the queue's real oldestWaitingArrival().

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MIN = 60_000

function watch(engine: CoreEngine): Alert[] {
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  const raised: Alert[] = []
  engine.on('alerts.raised', (a) => raised.push(a))
  return raised
}

describe('the Message age alert', () => {
  it('comes from the timer once the oldest message not held has waited past the default hour, and not at the hour', async () => {
    const start = Date.now()
    let clock = start
    // The worker paused: messages stay queued, and nothing happens in the queue but time.
    const engine = await engineWith({}, { now: () => clock, startWorker: false })
    const raised = watch(engine)
    expect(engine.queueView.oldestWaitingArrival()).toBeNull()

    // An old message held by the admin waits on the admin, not on the relay: it does not count.
    const [held] = await engine.submit([{ to: ['ops@example.org'], subject: 'Held report', text: 'Waiting for review.' }])
    unwrap(await engine.call('queue.hold', { queueId: held!.queueId }))
    clock += 30 * MIN
    await engine.submit([{ to: ['ops@example.org'], subject: 'Nightly backup', text: 'Backup finished.' }])
    // The submission's change is told a moment later (coalesced, on a timer): waited for, so no event is left to prompt a look.
    await new Promise<void>((resolve) => {
      const off = engine.on('queue.changed', () => {
        off()
        resolve()
      })
    })
    expect(engine.queueView.oldestWaitingArrival()).toBe(start + 30 * MIN)
    let changes = 0
    engine.on('queue.changed', () => changes++)

    // The monitor looks at the queue every 20 ms from now on, with no event to prompt it.
    engine.alerts.stop()
    engine.alerts.start(20)

    // The held message is 90 minutes old, the waiting one exactly an hour: not longer than the alert's hour.
    clock += 60 * MIN
    expect(engine.alerts.check()).toEqual([])
    expect(raised).toEqual([])

    clock += 1 * MIN
    await waitFor(() => raised.length > 0, 'the Message age alert from the timer')
    expect(changes).toBe(0)
    expect(raised.map((a) => a.kind)).toEqual(['oldest'])
    expect(raised[0]).toMatchObject({ severity: 'warning', title: 'Mail is waiting too long', waiting: 1 })
    expect(raised[0]!.body).toBe('The oldest message has waited 1 hour 1 minute, longer than the 1 hour of the Message age alert; 1 message is waiting.')
    expect(engine.alerts.badge).toBe(1)
    expect(unwrap(await engine.call('alerts.current', undefined)).alerts.map((a) => a.kind)).toEqual(['oldest'])
  })

  it('joins a relay outage when a deferred message outlives the Message age alert set in settings', async () => {
    const port = await closedPort()
    let clock = Date.now()
    // A long Alert interval keeps the outage's summary out of the way.
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: port, alertOldestMinutes: 45, alertIntervalMinutes: 240 }, { now: () => clock })
    const raised = watch(engine)
    await engine.submit([{ to: ['ops@example.org'], subject: 'Nightly backup', text: 'Backup finished.' }])
    await waitFor(() => engine.queueView.counts().deferred === 1, 'the message deferred, nothing listening on the Relay Port')
    await waitFor(() => raised.some((a) => a.kind === 'deferred'), 'the deferred alert')

    clock += 45 * MIN
    expect(engine.alerts.check()).toEqual([])

    clock += 2 * MIN
    const now = engine.alerts.check()
    expect(now.map((a) => a.kind)).toEqual(['oldest'])
    expect(now[0]!.body).toBe('The oldest message has waited 47 minutes, longer than the 45 minutes of the Message age alert; 1 message is waiting.')
    expect(raised.map((a) => a.kind)).toEqual(['deferred', 'oldest'])
    // Told once per outage: looking again raises nothing more.
    expect(engine.alerts.check()).toEqual([])
  })
})
