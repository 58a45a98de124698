import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { CAUSES } from '../../../src/main/core/errors/decoder.ts'
import { REACH, stopsEveryDelivery } from '../../../src/main/core/errors/scope.ts'
import { dayReport } from '../../../src/main/core/reports/day-report.ts'
import { localDate } from '../../../src/shared/calendar.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort, smtpError, startSmtp } from '../../helpers/smtp.ts'

// Delivery health (status.get's one line for the dashboard) and the level an
// outcome is logged at: a real engine against a relay on a closed loopback
// port, then a real SMTP server on that same port.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function track(engine: CoreEngine): Promise<CoreEngine> {
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return engine
}

const alerts = (n: number) => Array.from({ length: n }, (_, i) => ({ to: [`oncall${i}@example.net`], subject: `alert ${i}`, text: 'x' }))

async function allDeferred(engine: CoreEngine, n: number): Promise<void> {
  await waitFor(() => engine.queueView.count('deferred') === n && engine.worker.activeCount === 0, `${n} deferred messages`)
}

const errors = async (engine: CoreEngine) => unwrap(await engine.call('events.list', { limit: 100, level: 'error' })).items

describe('delivery health', () => {
  it('says delivery stopped, since when, why and what to check, logs it once as an error, and says when it resumes', async () => {
    const port = await closedPort()
    const engine = await track(await engineWith({ relayHost: '127.0.0.1', relayPort: port }))
    expect(unwrap(await engine.call('status.get', undefined)).health.state).toBe('idle')

    await engine.submit(alerts(3))
    await allDeferred(engine, 3)
    const failing = unwrap(await engine.call('status.get', undefined)).health
    expect(failing.state).toBe('failing')
    expect(failing.brief).toBe(`connection refused by 127.0.0.1:${port}`)
    expect(failing.check.map((c) => c.label)).toEqual(['Relay Port', 'Relay Host'])
    expect(failing.check[0]!.field).toBe('relayPort')
    expect(failing.explanation?.cause).toBe('connection-refused')
    expect(failing.since).not.toBeNull()
    expect(failing.since!).toBeLessThanOrEqual(failing.lastFailureAt!)
    expect(failing.settingsChangedSince).toBe(false)

    // Three messages failed alike: one error in Logs for the outage, not one per message.
    const logged = await errors(engine)
    expect(logged.filter((e) => e.message.startsWith('Not delivering'))).toHaveLength(1)
    expect(logged[0]!.message).toContain(`connection refused by 127.0.0.1:${port}`)
    expect(dayReport(engine.db, localDate(new Date()), 20).errors).toBeGreaterThanOrEqual(1)

    // The relay comes up on that port: Flush Queue sends everything, and the line says so.
    const server = await startSmtp({ tls: 'none', port })
    cleanups.push(() => server.close())
    unwrap(await engine.call('queue.flush', undefined))
    await waitFor(() => engine.queueView.count() === 0, 'an empty queue')
    const healthy = unwrap(await engine.call('status.get', undefined)).health
    expect(healthy.state).toBe('delivering')
    expect(healthy.lastSentAt).not.toBeNull()
    expect(healthy.brief).toBeNull()
    const events = unwrap(await engine.call('events.list', { limit: 100 })).items
    expect(events.some((e) => e.level === 'info' && e.message.startsWith('Delivering again'))).toBe(true)
  })

  it('keeps an outage across a restart, and says when settings were saved after it', async () => {
    const port = await closedPort()
    const first = await engineWith({ relayHost: '127.0.0.1', relayPort: port })
    const dataDir = first.dataDir
    await first.submit(alerts(2))
    await allDeferred(first, 2)
    const before = unwrap(await first.call('status.get', undefined)).health
    await first.close()

    const again = await track(await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'], startWorker: false }))
    const after = unwrap(await again.call('status.get', undefined)).health
    expect(after.state).toBe('failing')
    expect(after.since).toBe(before.since)
    expect(after.brief).toBe(`connection refused by 127.0.0.1:${port}`)

    const current = unwrap(await again.call('settings.get', undefined)).settings
    unwrap(await again.call('settings.update', { settings: { ...current, relayPort: port + 1 } }))
    expect(unwrap(await again.call('status.get', undefined)).health.settingsChangedSince).toBe(true)
  })
})

describe('errors are errors', () => {
  it('logs a rejected password as an error: every delivery stops on it', async () => {
    const server = await startSmtp({ tls: 'starttls', auth: { user: 'relayuser', pass: 'right' } })
    cleanups.push(() => server.close())
    const engine = await track(
      await engineWith({ relayHost: '127.0.0.1', relayPort: server.port, useTls: true, verifyCertificate: false, useSasl: true, username: 'relayuser' }, { password: 'wrong' }),
    )
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await waitFor(() => engine.queueView.count('deferred') === 1 && engine.worker.activeCount === 0, 'the test deferred')
    const logged = await errors(engine)
    expect(logged.some((e) => e.message.includes(queueId) && e.details?.cause === 'auth-failed')).toBe(true)
    expect(logged.some((e) => e.message.startsWith('Not delivering') && e.message.includes('rejects the Username and Password'))).toBe(true)
    const health = unwrap(await engine.call('status.get', undefined)).health
    expect(health.state).toBe('failing')
    expect(health.check.map((c) => c.field)).toEqual(['username', 'password'])
  })

  it('keeps a per-message deferral (greylisting) a warning, and delivery healthy', async () => {
    const server = await startSmtp({ tls: 'none', onRcpt: (a) => (a.startsWith('grey') ? smtpError(450, '4.7.1 <grey@example.net>: Recipient address rejected: Greylisted') : null) })
    cleanups.push(() => server.close())
    const engine = await track(await engineWith({ relayHost: '127.0.0.1', relayPort: server.port }))
    unwrap(await engine.call('mail.sendTest', { to: 'ok@example.net' }))
    await waitFor(() => engine.queueView.count() === 0, 'the first test sent')
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'grey@example.net' }))
    await waitFor(() => engine.queueView.count('deferred') === 1 && engine.worker.activeCount === 0, 'the greylisted test deferred')
    const events = unwrap(await engine.call('events.list', { limit: 100 })).items
    expect(events.some((e) => e.level === 'warning' && e.message.includes(queueId))).toBe(true)
    expect(events.filter((e) => e.level === 'error')).toEqual([])
    expect(unwrap(await engine.call('status.get', undefined)).health.state).toBe('delivering')
  })

  it('gives every cause a reach, and the failures that stop every delivery words and a setting to check', () => {
    for (const cause of CAUSES) expect(REACH[cause], cause).toBeDefined()
    for (const cause of ['auth-failed', 'cert-untrusted', 'tls-wrong-version', 'connection-refused', 'relay-host-not-found'] as const) {
      expect(stopsEveryDelivery(cause, true), cause).toBe(true)
      const reach = REACH[cause]
      expect(reach.scope === 'message' ? '' : reach.brief({ host: 'relay.example.net', port: 587 }), cause).toMatch(/\S/)
    }
    // Direct: a refused connection is one domain's mail server, not every delivery.
    expect(stopsEveryDelivery('connection-refused', false)).toBe(false)
    for (const cause of ['greylisted', 'policy-deferred', 'mailbox-full', 'rate-limited', 'user-unknown'] as const) expect(stopsEveryDelivery(cause, true), cause).toBe(false)
  })
})
