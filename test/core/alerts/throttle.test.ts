import { describe, expect, it } from 'vitest'
import { duration, INITIAL_ALERT_STATE, stepAlerts, type AlertPolicy, type AlertState, type QueueFacts } from '../../../src/main/core/alerts/throttle.ts'
import type { Alert } from '../../../src/shared/alerts.ts'

// The throttle alone, on a simulated clock: which notifications a queue's
// history makes, and that an outage of 10,000 messages makes a handful.

const MIN = 60_000
const POLICY: AlertPolicy = { enabled: true, queueSize: 100, oldestMs: 60 * MIN, intervalMs: 30 * MIN }
const T0 = Date.UTC(2026, 0, 10, 22, 0, 0)

interface Moment {
  queued?: number
  active?: number
  deferred?: number
  hold?: number
  oldestArrivalAt?: number | null
  newDeferred?: number
  newBounced?: number
  newSent?: number
  deferredCause?: string | null
  bouncedCause?: string | null
}

/** Feeds moments (seconds after T0) to the throttle in order, as the monitor would; returns every alert and the last badge. */
function run(moments: [number, Moment][], policy = POLICY, start: AlertState = INITIAL_ALERT_STATE) {
  let state = start
  const alerts: Alert[] = []
  const badges: number[] = []
  for (const [sec, m] of moments) {
    const facts: QueueFacts = {
      at: T0 + sec * 1000,
      counts: { queued: m.queued ?? 0, active: m.active ?? 0, deferred: m.deferred ?? 0, hold: m.hold ?? 0 },
      oldestArrivalAt: m.oldestArrivalAt ?? null,
      newDeferred: m.newDeferred ?? 0,
      newBounced: m.newBounced ?? 0,
      newSent: m.newSent ?? 0,
      deferredCause: m.deferredCause ?? null,
      bouncedCause: m.bouncedCause ?? null,
    }
    const step = stepAlerts(state, facts, policy)
    state = step.state
    alerts.push(...step.alerts)
    badges.push(step.badge)
  }
  return { alerts, badges, state }
}

const kinds = (alerts: Alert[]) => alerts.map((a) => [a.kind, (a.at - T0) / 1000])

describe('the alerts throttle', () => {
  it('turns an outage of 10,000 messages into seven notifications, the last the all-clear when the queue drains', () => {
    // The relay is down from T0: 10,000 messages arrive over 30 minutes, each deferred at once and at every retry
    // (backoff 300 s doubling to 4000 s). The monitor checks every 5 s. After two hours the relay is back and
    // delivers 200 messages per check, oldest first.
    const RETRIES = [300, 900, 2100, 4500, 8500]
    const batches: { at: number; n: number }[] = []
    let delivered = 0
    const moments: [number, Moment][] = []
    let deferrals = 0
    for (let t = 5; t <= 8000; t += 5) {
      let newDeferred = 0
      const before = delivered
      if (t < 7200) {
        const arrived = Math.min(10_000, Math.floor((t / 1800) * 10_000)) - batches.reduce((n, b) => n + b.n, 0)
        if (arrived > 0) batches.push({ at: t, n: arrived })
        newDeferred += Math.max(0, arrived)
        for (const b of batches) if (RETRIES.some((r) => t - b.at === r)) newDeferred += b.n
      } else {
        delivered = Math.min(10_000, delivered + 200)
      }
      deferrals += newDeferred
      // Oldest first: the first batch not wholly delivered holds the oldest waiting message.
      let skip = delivered
      const oldest = batches.find((b) => (skip -= b.n) < 0)
      const waiting = batches.reduce((n, b) => n + b.n, 0) - delivered
      moments.push([t, { deferred: waiting, oldestArrivalAt: oldest ? T0 + oldest.at * 1000 : null, newDeferred, newSent: delivered - before, deferredCause: 'The relay refused the connection.' }])
    }
    expect(deferrals).toBeGreaterThan(30_000)
    const { alerts, badges } = run(moments)
    expect(kinds(alerts)).toEqual([
      ['deferred', 5],
      ['queue-size', 20],
      ['outage', 1820],
      ['oldest', 3610],
      ['outage', 5410],
      // The relay is back at 7200 s, but 9,800 messages still wait: the outage's summary is due, once.
      ['outage', 7210],
      ['resolved', 7445],
    ])
    expect(alerts[0]).toMatchObject({ severity: 'warning', title: 'Mail is being deferred', body: '27 deliveries deferred; 27 messages are waiting, retried automatically. The relay refused the connection.', waiting: 27 })
    expect(alerts[1]!.body).toBe('111 messages are waiting, more than the 100 messages of the Queue size alert.')
    expect(alerts[3]!.body).toBe('The oldest message has waited 1 hour, longer than the 1 hour of the Message age alert; 10,000 messages are waiting.')
    expect(alerts[4]!.title).toBe('Mail is still not going out')
    expect(alerts[4]!.body).toMatch(/^For 1 hour 30 minutes: 10,000 messages are waiting; the oldest has waited 1 hour 30 minutes\. [\d,]+ deliveries deferred since the last alert\. The relay refused the connection\.$/)
    expect(alerts[6]).toMatchObject({ kind: 'resolved', severity: 'info', title: 'Mail is flowing again', body: 'The mail queue has drained after 2 hours 4 minutes of trouble.', waiting: 0 })
    // The badge counts what waits while the trouble lasts, then clears.
    expect(badges[0]).toBe(27)
    expect(Math.max(...badges)).toBe(10_000)
    expect(badges.at(-1)).toBe(0)
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length)
  })

  it('counts every deferral of the interval in the summary, none twice', () => {
    const moments: [number, Moment][] = [[0, { deferred: 3, newDeferred: 3, oldestArrivalAt: T0 }]]
    for (let t = 60; t <= 1800; t += 60) moments.push([t, { deferred: 3, newDeferred: 2, oldestArrivalAt: T0 }])
    const { alerts } = run(moments)
    expect(kinds(alerts)).toEqual([
      ['deferred', 0],
      ['outage', 1800],
    ])
    expect(alerts[1]!.body).toBe('For 30 minutes: 3 messages are waiting; the oldest has waited 30 minutes. 60 deliveries deferred since the last alert.')
  })

  it('tells a greylisted message once, and the all-clear when it is delivered', () => {
    const { alerts, badges } = run([
      [0, { deferred: 1, newDeferred: 1, oldestArrivalAt: T0, deferredCause: 'The server asked to try again later (greylisting).' }],
      [300, { active: 1, oldestArrivalAt: T0 }],
      [305, { newSent: 1 }],
    ])
    expect(kinds(alerts)).toEqual([
      ['deferred', 0],
      ['resolved', 305],
    ])
    expect(alerts[0]!.body).toBe('1 delivery deferred; 1 message is waiting, retried automatically. The server asked to try again later (greylisting).')
    expect(alerts[1]!.body).toBe('The mail queue has drained after 5 minutes of trouble.')
    expect(badges).toEqual([1, 1, 0])
  })

  it('says nothing at the thresholds, and counts no held message', () => {
    const at = [0, { queued: 100, hold: 5_000, oldestArrivalAt: T0 - 60 * MIN }] as [number, Moment]
    expect(run([at]).alerts).toEqual([])
    const over = run([[0, { queued: 101, hold: 5_000, oldestArrivalAt: T0 - 60 * MIN - 1000 }]])
    expect(kinds(over.alerts)).toEqual([
      ['queue-size', 0],
      ['oldest', 0],
    ])
    expect(over.badges).toEqual([101])
  })

  it('tells a bounce, and a bounce soon after at the next interval, without an all-clear', () => {
    const { alerts } = run([
      [0, { newBounced: 1, bouncedCause: 'The recipient’s server says the mailbox does not exist.' }],
      [5, {}],
      [60, { newBounced: 2 }],
      [65, {}],
      [1805, {}],
      [1810, {}],
    ])
    expect(kinds(alerts)).toEqual([
      ['bounced', 0],
      ['outage', 1805],
    ])
    expect(alerts[0]).toMatchObject({ severity: 'error', title: 'Mail bounced', body: '1 delivery bounced and will not be retried. The recipient’s server says the mailbox does not exist.' })
    expect(alerts[1]).toMatchObject({ severity: 'error', title: 'Mail problems go on' })
    expect(alerts[1]!.body).toContain('2 deliveries bounced since the last alert.')
  })

  it('does not call mail flowing again when the queue empties with nothing delivered', () => {
    // The relay never came back: the one message expired after its lifetime and bounced.
    const { alerts, badges } = run([
      [0, { deferred: 1, newDeferred: 1, oldestArrivalAt: T0, deferredCause: 'The relay refused the connection.' }],
      [7200, { newBounced: 1, bouncedCause: 'The message outlived the maximal queue lifetime.' }],
      [7205, {}],
    ])
    expect(kinds(alerts)).toEqual([
      ['deferred', 0],
      ['bounced', 7200],
      ['resolved', 7205],
    ])
    expect(alerts.at(-1)).toMatchObject({ severity: 'warning', title: 'The mail queue is empty', body: 'Nothing was delivered during 2 hours of trouble: what waited bounced, expired or was deleted. Send Test Email to see whether mail goes out now.' })
    expect(badges.at(-1)).toBe(0)
  })

  it('gives a deferral its own reason and a bounce its own, when both come at once', () => {
    const { alerts } = run([
      [0, { deferred: 1, newDeferred: 1, newBounced: 1, oldestArrivalAt: T0, deferredCause: 'The server asked to try again later (greylisting).', bouncedCause: 'The recipient’s server says the mailbox does not exist.' }],
      [1800, { deferred: 1, newDeferred: 1, newBounced: 1, oldestArrivalAt: T0, deferredCause: 'The relay refused the connection.', bouncedCause: 'The server refused the sender.' }],
    ])
    expect(kinds(alerts)).toEqual([
      ['deferred', 0],
      ['bounced', 0],
      ['outage', 1800],
    ])
    expect(alerts[0]!.body).toBe('1 delivery deferred; 1 message is waiting, retried automatically. The server asked to try again later (greylisting).')
    expect(alerts[1]!.body).toBe('1 delivery bounced and will not be retried. The recipient’s server says the mailbox does not exist.')
    expect(alerts[2]!.body).toBe('For 30 minutes: 1 message is waiting; the oldest has waited 30 minutes. 1 delivery deferred and 1 delivery bounced since the last alert. The relay refused the connection. The server refused the sender.')
  })

  it('does not repeat a problem for a relay that comes and goes within the interval', () => {
    const moments: [number, Moment][] = []
    // Down for a minute, up for a minute, ten times over twenty minutes.
    for (let i = 0; i < 10; i++) {
      moments.push([i * 120, { deferred: 5, newDeferred: 5, oldestArrivalAt: T0 + i * 120_000 }])
      moments.push([i * 120 + 60, {}])
    }
    moments.push([1900, { deferred: 5, newDeferred: 5, oldestArrivalAt: T0 + 1900_000 }])
    moments.push([1960, {}])
    const { alerts } = run(moments)
    expect(kinds(alerts)).toEqual([
      ['deferred', 0],
      ['resolved', 60],
      ['deferred', 1900],
      ['resolved', 1960],
    ])
  })

  it('shows nothing while alerts are off, and starts afresh when they are turned on', () => {
    const trouble: Moment = { deferred: 500, newDeferred: 500, oldestArrivalAt: T0 - 120 * MIN }
    const off = run([[0, trouble], [600, trouble]], { ...POLICY, enabled: false })
    expect(off.alerts).toEqual([])
    expect(off.badges).toEqual([0, 0])
    const on = run([[1200, trouble]], POLICY, off.state)
    expect(kinds(on.alerts)).toEqual([
      ['deferred', 1200],
      ['queue-size', 1200],
      ['oldest', 1200],
    ])
  })

  it('words durations as an admin reads them', () => {
    expect(duration(45_000)).toBe('45 seconds')
    expect(duration(MIN)).toBe('1 minute')
    expect(duration(200 * MIN)).toBe('3 hours 20 minutes')
    expect(duration(52 * 60 * MIN)).toBe('2 days 4 hours')
  })
})
