import { afterEach, describe, expect, it } from 'vitest'
import type { Alert, CurrentAlerts } from '../../../src/shared/alerts.ts'
import type { Result } from '../../../src/shared/api.ts'
import { startWebServer } from '../../../src/main/web/server.ts'
import { engineWith, removeDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { smtpError, startSmtp } from '../../helpers/smtp.ts'

// The alerts standing now (alerts.current), read over the web adapter's HTTP
// as a page opened in the middle of an outage reads them: a real relay that
// answers 451 until it is told to accept, real deferrals, then the drain.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MIN = 60_000

describe('the alerts standing now', () => {
  it('are the latest of each problem until the all-clear, none with Show alerts off, and the badge count with them', async () => {
    let accepting = false
    const relay = await startSmtp({ tls: 'none', onRcpt: () => (accepting ? null : smtpError(451, '4.3.0 Mailbox temporarily unavailable, try again later')) })
    cleanups.push(() => relay.close())
    let clock = Date.now()
    const settings = { relayHost: '127.0.0.1', relayPort: relay.port, alertQueueSize: 2, alertIntervalMinutes: 30 }
    const engine = await engineWith(settings, { now: () => clock })
    const web = await startWebServer(engine)
    cleanups.push(async () => {
      await web.close()
      await engine.close()
      removeDir(engine.dataDir)
    })
    const current = async (): Promise<CurrentAlerts> => {
      const response = await fetch(`http://127.0.0.1:${web.port}/api/alerts.current`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-smtp-console-token': web.token }, body: '' })
      return unwrap((await response.json()) as Result<CurrentAlerts>)
    }
    const raised: Alert[] = []
    engine.on('alerts.raised', (a) => raised.push(a))

    expect(await current()).toEqual({ alerts: [], badge: { count: 0 } })

    await engine.submit(Array.from({ length: 3 }, (_, i) => ({ to: [`ops${i}@example.org`], subject: `Nightly backup ${i}`, text: 'Backup finished.' })))
    await waitFor(() => engine.queueView.counts().deferred === 3, 'every message deferred by the 451')
    await waitFor(() => raised.some((a) => a.kind === 'deferred'), 'the deferred alert')
    // What the events brought, in the order they came: a page opened now shows the same, without another event.
    const standing = await current()
    expect(standing.alerts.map((a) => a.kind)).toEqual(raised.map((a) => a.kind))
    expect(standing.alerts.map((a) => a.kind).sort()).toEqual(['deferred', 'queue-size'])
    expect(standing.alerts).toEqual(raised)
    expect(standing.alerts.find((a) => a.kind === 'deferred')!.body).toMatch(/3 messages are waiting, retried automatically\./)
    expect(standing.badge).toEqual({ count: 3 })

    // Half an hour on, every message deferred again: the summary joins the problems it sums up.
    clock += 31 * MIN
    engine.worker.wake()
    await waitFor(() => engine.queueView.list({ limit: 10 }).items.every((m) => m.attempts === 2 && m.state === 'deferred'), 'every message retried and deferred again')
    await waitFor(() => raised.some((a) => a.kind === 'outage'), 'the summary')
    expect((await current()).alerts.map((a) => a.kind)).toEqual([...standing.alerts.map((a) => a.kind), 'outage'])

    // Show alerts off: nothing stands, and nothing is counted.
    unwrap(await engine.call('settings.update', { settings: testSettings({ ...settings, alertsEnabled: false }) }))
    expect(await current()).toEqual({ alerts: [], badge: { count: 0 } })
    unwrap(await engine.call('settings.update', { settings: testSettings(settings) }))
    await waitFor(async () => (await current()).alerts.length > 0, 'the outage standing again once alerts are back on')

    // The relay accepts: the queue drains, the all-clear comes, and it is not itself standing.
    accepting = true
    clock += 31 * MIN
    engine.worker.wake()
    await waitFor(() => relay.received.length === 3 && engine.queueView.counts().deferred === 0, 'every message delivered', 20_000)
    await waitFor(() => raised.at(-1)?.kind === 'resolved', 'the all-clear')
    expect(await current()).toEqual({ alerts: [], badge: { count: 0 } })
  })
})
