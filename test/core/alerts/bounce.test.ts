import { afterEach, describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/shared/alerts.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { smtpError, startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Bounces as the alerts see them, from a real engine and a real relay: the
// relay answers 550 to one address (a bounce) and 451 to another (a deferral
// that stays in the queue), and a deferred message outlives the Maximal queue
// lifetime on the engine's hand-moved clock (an expiry, counted as a bounce).

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MIN = 60_000
const UNKNOWN = 'nobody@example.org'
const BUSY = 'busy@example.org'

async function relayAndEngine(settings: Partial<SettingsFields>, clock: () => number): Promise<{ relay: TestSmtp; engine: CoreEngine; raised: Alert[]; badges: number[] }> {
  const relay = await startSmtp({
    tls: 'none',
    onRcpt: (address) =>
      address === UNKNOWN ? smtpError(550, `5.1.1 <${UNKNOWN}>: Recipient address rejected: User unknown`) : address === BUSY ? smtpError(451, '4.3.0 Mailbox temporarily unavailable, try again later') : null,
  })
  cleanups.push(() => relay.close())
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: relay.port, ...settings }, { now: clock })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  const raised: Alert[] = []
  const badges: number[] = []
  engine.on('alerts.raised', (a) => raised.push(a))
  engine.on('alerts.badge', (b) => badges.push(b.count))
  return { relay, engine, raised, badges }
}

const logged = async (engine: CoreEngine, status: 'bounced' | 'expired' | 'deferred') => unwrap(await engine.call('mailLog.list', { limit: 50, status })).items

describe('alerts for bounced mail', () => {
  it('raises a bounce alert for a 550, in the decoder’s words, beside a deferral the badge counts and alerts.current lists', async () => {
    const clock = Date.now()
    const { engine, raised, badges } = await relayAndEngine({}, () => clock)

    // First a deferral, so the trouble lasts: the badge counts the message waiting.
    await engine.submit([{ to: [BUSY], subject: 'Nightly backup', text: 'Backup finished.' }])
    await waitFor(() => engine.queueView.counts().deferred === 1, 'the message deferred by the 451')
    await waitFor(() => raised.some((a) => a.kind === 'deferred'), 'the deferred alert')

    // Then a bounce, its own attempt and its own cause.
    await engine.submit([{ to: [UNKNOWN], subject: 'Disk almost full', text: '92%' }])
    await waitFor(async () => (await logged(engine, 'bounced')).length === 1, 'the 550 in the Mail Log')
    await waitFor(() => raised.some((a) => a.kind === 'bounced'), 'the bounce alert')
    const bounce = raised.find((a) => a.kind === 'bounced')!
    expect(bounce).toMatchObject({ severity: 'error', title: 'Mail bounced', waiting: 1 })
    expect(bounce.body).toBe('1 delivery bounced and will not be retried. The server says the recipient address does not exist or accepts no mail.')
    expect(raised.map((a) => a.kind)).toEqual(['deferred', 'bounced'])

    // The badge counts what waits while the trouble lasts; a page opened now shows the bounce beside the deferral.
    expect(badges.at(-1)).toBe(1)
    expect(engine.alerts.badge).toBe(1)
    const current = unwrap(await engine.call('alerts.current', undefined))
    expect(current.badge).toEqual({ count: 1 })
    expect(current.alerts.map((a) => a.kind)).toEqual(['deferred', 'bounced'])
    expect(current.alerts.find((a) => a.kind === 'bounced')).toEqual(bounce)

    // Told once: looking again raises nothing more.
    expect(engine.alerts.check()).toEqual([])
  })

  it('tells a lone bounce once and then lets it go: nothing waits, so the badge stays 0 and nothing stands', async () => {
    const clock = Date.now()
    const { engine, raised, badges } = await relayAndEngine({}, () => clock)
    await engine.submit([{ to: [UNKNOWN], subject: 'Disk almost full', text: '92%' }])
    await waitFor(async () => (await logged(engine, 'bounced')).length === 1, 'the 550 in the Mail Log')
    await waitFor(() => raised.some((a) => a.kind === 'bounced'), 'the bounce alert')
    expect(raised.map((a) => a.kind)).toEqual(['bounced'])
    expect(raised[0]!.waiting).toBe(0)
    // Looked at again: no all-clear for a bounce, nothing standing, and the badge never counted it.
    expect(engine.alerts.check()).toEqual([])
    expect(unwrap(await engine.call('alerts.current', undefined))).toEqual({ alerts: [], badge: { count: 0 } })
    expect(badges.every((n) => n === 0)).toBe(true)
  })

  it('counts a message past the Maximal queue lifetime as a bounce, and says it expired', async () => {
    let clock = Date.now()
    const { engine, raised } = await relayAndEngine({ maxQueueLifetimeSec: 10 * 60 }, () => clock)
    await engine.submit([{ to: [BUSY], subject: 'Nightly backup', text: 'Backup finished.' }])
    await waitFor(() => engine.queueView.counts().deferred === 1, 'the message deferred by the 451')
    await waitFor(() => raised.some((a) => a.kind === 'deferred'), 'the deferred alert')
    expect(raised.some((a) => a.kind === 'bounced')).toBe(false)

    // Eleven minutes on, the retry is deferred again, and the message has outlived its ten minutes.
    clock += 11 * MIN
    engine.worker.wake()
    await waitFor(async () => (await logged(engine, 'expired')).length === 1, 'the expiry in the Mail Log')
    await waitFor(() => raised.some((a) => a.kind === 'bounced'), 'the bounce alert for the expired message')
    const bounce = raised.find((a) => a.kind === 'bounced')!
    expect(bounce).toMatchObject({ severity: 'error', title: 'Mail bounced' })
    expect(bounce.body).toBe(
      '1 delivery bounced and will not be retried. The message outlived the maximal queue lifetime without being delivered, and was returned as undeliverable.',
    )
    expect(engine.queueView.counts().deferred).toBe(0)
  })

  it('raises nothing for a bounce with Show alerts off', async () => {
    const clock = Date.now()
    const { engine, raised, badges } = await relayAndEngine({ alertsEnabled: false }, () => clock)
    await engine.submit([{ to: [UNKNOWN, BUSY], subject: 'Disk almost full', text: '92%' }])
    // The attempt is recorded (and counted by the monitor) before its Mail Log rows can be read.
    await waitFor(async () => (await logged(engine, 'bounced')).length === 1, 'the 550 in the Mail Log')
    await waitFor(() => engine.queueView.counts().deferred === 1, 'the 451 recipient deferred')
    expect(engine.alerts.check()).toEqual([])
    expect(raised).toEqual([])
    expect(badges.every((n) => n === 0)).toBe(true)
    expect(engine.alerts.badge).toBe(0)
    expect(unwrap(await engine.call('alerts.current', undefined))).toEqual({ alerts: [], badge: { count: 0 } })
  })
})
