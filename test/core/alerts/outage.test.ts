import { afterEach, describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/shared/alerts.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort, startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// A real outage: the Relay Host on a loopback port where nothing listens, real
// deliveries deferred and retried, then a real relay on that port. The engine's
// clock is moved by hand so the interval passes without waiting for it.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MIN = 60_000

describe('alerts from a relay outage', () => {
  it('raises a handful of throttled alerts for 60 messages deferred twice, then the all-clear', async () => {
    const port = await closedPort()
    let clock = Date.now()
    const engine: CoreEngine = await engineWith({ relayHost: '127.0.0.1', relayPort: port, alertQueueSize: 20, alertIntervalMinutes: 30 }, { now: () => clock })
    cleanups.push(async () => {
      await engine.close()
      removeDir(engine.dataDir)
    })
    const alerts: Alert[] = []
    const badges: number[] = []
    engine.on('alerts.raised', (a) => alerts.push(a))
    engine.on('alerts.badge', (b) => badges.push(b.count))

    await engine.submit(Array.from({ length: 60 }, (_, i) => ({ to: [`ops${i}@example.org`], subject: `Nightly backup ${i}`, text: 'Backup finished.' })))
    await waitFor(() => engine.queueView.counts().deferred === 60, 'every message deferred')
    await waitFor(() => alerts.some((a) => a.kind === 'deferred') && badges.at(-1) === 60, 'the deferred alert and the badge')
    expect(alerts.map((a) => a.kind).sort()).toEqual(['deferred', 'queue-size'])
    const deferred = alerts.find((a) => a.kind === 'deferred')!
    expect(deferred.title).toBe('Mail is being deferred')
    expect(deferred.body).toMatch(/^\d+ deliver(y|ies) deferred; \d+ messages? (is|are) waiting, retried automatically\. .+/)
    expect(alerts.find((a) => a.kind === 'queue-size')!.body).toMatch(/messages are waiting, more than the 20 messages of the Queue size alert\.$/)

    // Half an hour on, every message is retried and deferred again: one summary, not 60 more notices.
    clock += 31 * MIN
    engine.worker.wake()
    await waitFor(() => engine.queueView.list({ limit: 60 }).items.every((m) => m.attempts === 2), 'every message retried')
    await waitFor(() => engine.queueView.counts().deferred === 60, 'every retry deferred')
    await waitFor(() => alerts.some((a) => a.kind === 'outage'), 'the summary')
    // Looking again within the interval raises nothing more.
    expect(engine.alerts.check()).toEqual([])
    expect(alerts.map((a) => a.kind).filter((k) => k === 'outage')).toEqual(['outage'])
    const summary = alerts.find((a) => a.kind === 'outage')!
    expect(summary.title).toBe('Mail is still not going out')
    expect(summary.body).toMatch(/^For 3\d minutes: 60 messages are waiting; the oldest has waited 3\d minutes\./)

    // The relay is back: the next retries deliver, the queue drains, and the all-clear is the last alert.
    const relay: TestSmtp = await startSmtp({ port, tls: 'none' })
    cleanups.push(() => relay.close())
    clock += 15 * MIN
    engine.worker.wake()
    await waitFor(() => relay.received.length === 60 && engine.queueView.counts().deferred === 0, 'every message delivered', 20_000)
    await waitFor(() => alerts.at(-1)?.kind === 'resolved', 'the all-clear')
    expect(alerts.map((a) => a.kind).slice(2)).toEqual(['outage', 'resolved'])
    expect(alerts.at(-1)!.body).toMatch(/^The mail queue has drained after 4\d minutes of trouble\.$/)
    expect(badges.at(-1)).toBe(0)

    // Each alert is in Logs too, where the admin finds them after the notification is gone.
    const logged = unwrap(await engine.call('events.list', { limit: 100, text: 'Mail is' })).items.filter((e) => e.source === 'alerts')
    expect(logged.map((e) => e.message.split(':')[0])).toEqual(expect.arrayContaining(['Mail is being deferred', 'Mail is still not going out', 'Mail is flowing again']))
  })

  it('stays silent with Show alerts off', async () => {
    const port = await closedPort()
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: port, alertsEnabled: false, alertQueueSize: 5 })
    cleanups.push(async () => {
      await engine.close()
      removeDir(engine.dataDir)
    })
    const alerts: Alert[] = []
    engine.on('alerts.raised', (a) => alerts.push(a))
    await engine.submit(Array.from({ length: 10 }, (_, i) => ({ to: [`ops${i}@example.org`], subject: 'Disk almost full', text: '92%' })))
    await waitFor(() => engine.queueView.counts().deferred === 10, 'every message deferred')
    expect(engine.alerts.check()).toEqual([])
    expect(alerts).toEqual([])
    expect(engine.alerts.badge).toBe(0)
  })
})
