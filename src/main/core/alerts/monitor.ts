import type { Alert, AlertBadge, CurrentAlerts } from '../../../shared/alerts.ts'
import type { SettingsFields } from '../../../shared/settings.ts'
import type { QueueState } from '../../../shared/types.ts'
import { explainCause } from '../errors/decoder.ts'
import { isAborted, type RecipientOutcome } from '../queue/outcome.ts'
import { INITIAL_ALERT_STATE, stepAlerts, type AlertPolicy, type AlertState } from './throttle.ts'

// The engine's side of the alerts: it counts what delivery attempts defer and
// bounce, looks at the queue when it changes (and every half minute, for the
// age of the oldest message), runs the throttle and hands on what to show.

export interface AlertMonitorParts {
  queue: { counts(): Record<QueueState, number>; oldestWaitingArrival(): number | null }
  settings: () => Pick<SettingsFields, 'alertsEnabled' | 'alertQueueSize' | 'alertOldestMinutes' | 'alertIntervalMinutes'>
  now: () => number
  /** Each alert to show, in order. */
  raise: (alert: Alert) => void
  /** The tray or dock count, when it changes. */
  badge: (badge: AlertBadge) => void
}

/** How often the queue is looked at when nothing changes in it: a message grows old without an event. */
export const ALERT_CHECK_MS = 30_000

export class AlertMonitor {
  private readonly parts: AlertMonitorParts
  private state: AlertState = INITIAL_ALERT_STATE
  private seen = { sent: 0, deferred: 0, bounced: 0, deferredCause: null as string | null, bouncedCause: null as string | null }
  private count = 0
  /** The latest alert of each problem in the trouble under way, oldest first (alerts.current). */
  private standing: Alert[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(parts: AlertMonitorParts) {
    this.parts = parts
  }

  start(everyMs = ALERT_CHECK_MS): void {
    // Started again (a test's shorter interval): one timer, not two.
    this.stop()
    this.timer = setInterval(() => this.check(), everyMs)
    this.timer.unref()
    this.check()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** The count on the tray icon or dock badge now. */
  get badge(): number {
    return this.count
  }

  /** What a page opened now, or the desktop shell at start, shows before the next alert: none with Show alerts off. */
  current(): CurrentAlerts {
    if (!this.parts.settings().alertsEnabled) return { alerts: [], badge: { count: 0 } }
    return { alerts: [...this.standing], badge: { count: this.count } }
  }

  /** Counts one attempt's outcomes; an expired recipient is a bounce, an attempt the console stopped is nothing, a sent one mail flowing. */
  noteAttempt(outcomes: readonly RecipientOutcome[], expired: number): void {
    for (const o of outcomes) {
      if (o.kind === 'sent') this.seen.sent += 1
      if (o.kind === 'sent' || isAborted(o)) continue
      // The attempt's deferrals past the maximal queue lifetime were bounced as expired.
      const bounced = o.kind === 'bounced' || expired > 0
      // An expired recipient's outcome is its last deferral: the bounce's cause is the lifetime, not that deferral's reply.
      const cause = o.kind === 'deferred' && expired > 0 ? 'expired' : o.cause
      const words = (cause ? explainCause(cause)?.summary : null) ?? o.reply?.split(/\r?\n/, 1)[0] ?? null
      if (bounced) {
        this.seen.bounced += 1
        this.seen.bouncedCause = words ?? this.seen.bouncedCause
      } else {
        this.seen.deferred += 1
        this.seen.deferredCause = words ?? this.seen.deferredCause
      }
    }
  }

  /** Looks at the queue now; returns the alerts raised (they are also handed on). */
  check(): Alert[] {
    const s = this.parts.settings()
    const policy: AlertPolicy = {
      enabled: s.alertsEnabled,
      queueSize: s.alertQueueSize,
      oldestMs: s.alertOldestMinutes * 60_000,
      intervalMs: s.alertIntervalMinutes * 60_000,
    }
    let step
    try {
      const seen = this.seen
      step = stepAlerts(
        this.state,
        { at: this.parts.now(), counts: this.parts.queue.counts(), oldestArrivalAt: this.parts.queue.oldestWaitingArrival(), newSent: seen.sent, newDeferred: seen.deferred, newBounced: seen.bounced, deferredCause: seen.deferredCause, bouncedCause: seen.bouncedCause },
        policy,
      )
    } catch {
      // A database that cannot be read now (closed, disk trouble) is looked at again at the next change.
      return []
    }
    this.seen = { sent: 0, deferred: 0, bounced: 0, deferredCause: null, bouncedCause: null }
    this.state = step.state
    for (const alert of step.alerts) {
      // A problem's newer alert replaces its older one; the all-clear ends them all and is not itself standing.
      this.standing = alert.kind === 'resolved' ? [] : [...this.standing.filter((a) => a.kind !== alert.kind), alert]
      this.parts.raise(alert)
    }
    // Trouble over without an all-clear (a bounce is told and done, as the badge's 0 says): nothing stands.
    if (step.state.outage === null) this.standing = []
    if (step.badge !== this.count) {
      this.count = step.badge
      this.parts.badge({ count: step.badge })
    }
    return step.alerts
  }
}
