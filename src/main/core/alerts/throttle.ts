import type { Alert, AlertKind } from '../../../shared/alerts.ts'
import type { QueueState } from '../../../shared/types.ts'

// The alerts' throttle, a pure function: from what was shown before and the
// queue's facts now, what to show now. It raises what the alerts monitoring
// tools ship for Postfix queues do (deferred, bounced, too many waiting, the
// oldest waiting too long), one notification per problem per interval, then
// one summary per interval while the outage lasts, and the all-clear when the
// queue drains: a relay down for a night makes a handful of notifications.

export interface AlertPolicy {
  enabled: boolean
  /** More messages waiting than this is a problem. */
  queueSize: number
  /** The oldest waiting message older than this is a problem. */
  oldestMs: number
  /** At most one notification per problem, and one summary, per this long. */
  intervalMs: number
}

/** The queue as the monitor sees it at one moment. */
export interface QueueFacts {
  at: number
  /** Messages by state. Held messages are waiting on the admin, not on the relay: no threshold counts them. */
  counts: Record<QueueState, number>
  /** Arrival of the oldest message not held, or null when none waits. */
  oldestArrivalAt: number | null
  /** Deliveries (per recipient) deferred, and bounced or expired, since the previous facts. */
  newDeferred: number
  newBounced: number
  /** Deliveries (per recipient) that went out since the previous facts: an outage that ends without one is not mail flowing again. */
  newSent?: number
  /** The latest deferral's cause, and the latest bounce's, in the admin's words, if any came since the previous facts. */
  deferredCause?: string | null
  bouncedCause?: string | null
}

/** A problem that gets its own notification. */
export type Problem = 'deferred' | 'bounced' | 'queue-size' | 'oldest'

/** A problem that lasts until the queue recovers; a bounce is told and done. */
const LASTING: readonly Problem[] = ['deferred', 'queue-size', 'oldest']

export interface AlertState {
  /** When each problem was last in a notification (its own or a summary). */
  lastShown: Partial<Record<Problem, number>>
  /** When any notification but the all-clear was last shown. */
  lastNoticeAt: number | null
  /** Deliveries deferred and bounced that no notification has counted yet. */
  untold: { deferred: number; bounced: number }
  /** The latest cause of each not yet told: a bounce's alert never gives a deferral's reason, nor the other way. */
  causes: Causes
  /** Trouble under way: since when, which problems it has had, whether the admin was told, since when it has been quiet, and the deliveries since it began. */
  outage: { since: number; problems: Problem[]; told: boolean; quietSince: number | null; sent: number } | null
  /** Numbers the alerts' ids. */
  seq: number
}

interface Causes {
  deferred: string | null
  bounced: string | null
}

export const INITIAL_ALERT_STATE: AlertState = { lastShown: {}, lastNoticeAt: null, untold: { deferred: 0, bounced: 0 }, causes: { deferred: null, bounced: null }, outage: null, seq: 0 }

export interface AlertStep {
  state: AlertState
  /** The notifications to show now, oldest problem first. */
  alerts: Alert[]
  /** The tray or dock count: messages waiting while there is an outage, else 0. */
  badge: number
}

export function stepAlerts(prev: AlertState, facts: QueueFacts, policy: AlertPolicy): AlertStep {
  if (!policy.enabled) return { state: { ...INITIAL_ALERT_STATE, seq: prev.seq }, alerts: [], badge: 0 }
  const { at, counts } = facts
  const waiting = counts.queued + counts.active + counts.deferred
  const oldestMs = facts.oldestArrivalAt === null ? 0 : Math.max(0, at - facts.oldestArrivalAt)
  const untold = { deferred: prev.untold.deferred + facts.newDeferred, bounced: prev.untold.bounced + facts.newBounced }
  const lastShown = { ...prev.lastShown }
  let { lastNoticeAt, seq } = prev
  const causes: Causes = { deferred: facts.deferredCause ?? prev.causes.deferred, bounced: facts.bouncedCause ?? prev.causes.bounced }

  const present = problemsNow(facts, untold.bounced, waiting, oldestMs, policy)

  const alerts: Alert[] = []
  const view: View = { at, waiting, oldestMs, policy, untold, causes: { deferred: null, bounced: null } }
  const raise = (kind: AlertKind, text: AlertText) => {
    seq += 1
    alerts.push({ id: `${at.toString(36)}-${seq}`, kind, at, waiting, ...text })
  }
  const told = (problems: Problem[]) => {
    for (const p of problems) lastShown[p] = at
    if (problems.includes('deferred')) {
      untold.deferred = 0
      causes.deferred = null
    }
    if (problems.includes('bounced')) {
      untold.bounced = 0
      causes.bounced = null
    }
    lastNoticeAt = at
  }

  let outage = prev.outage
  if (!outage && present.length) outage = { since: at, problems: [], told: false, quietSince: null, sent: 0 }
  if (outage) {
    outage = { ...outage, sent: outage.sent + (facts.newSent ?? 0) }
    view.causes = { ...causes }
    // A problem new to this outage gets its own notification, unless it had one within the interval (a flapping relay).
    const fresh = present.filter((p) => !outage!.problems.includes(p))
    const due = fresh.filter((p) => lastShown[p] === undefined || at - lastShown[p] >= policy.intervalMs)
    for (const p of due) {
      raise(p, PROBLEM_TEXT[p](view))
      told([p])
    }
    outage = { ...outage, problems: [...new Set([...outage.problems, ...fresh])], told: outage.told || due.length > 0 }
    // Then one summary per interval while anything is wrong, counting what happened since the last notification.
    if (due.length === 0 && present.length && (lastNoticeAt === null || at - lastNoticeAt >= policy.intervalMs)) {
      raise('outage', summaryText(view, present, outage.since))
      told(present)
      outage = { ...outage, told: true }
    }
    if (present.length) outage = { ...outage, quietSince: null }
    else {
      const quietSince = outage.quietSince ?? at
      // Over when the queue has drained, or (a busy queue is never empty) when it has been well for an interval.
      if (waiting === 0 || at - quietSince >= policy.intervalMs) {
        // The all-clear only ends trouble the admin heard of, and that lasted: a bounce is told and done.
        if (outage.told && outage.problems.some((p) => LASTING.includes(p))) raise('resolved', resolvedText(view, outage.since, outage.sent))
        untold.deferred = 0
        outage = null
      } else outage = { ...outage, quietSince }
    }
  }
  return { state: { lastShown, lastNoticeAt, untold, causes, outage, seq }, alerts, badge: outage ? waiting : 0 }
}

/** The problems the facts show, in the order their notifications come. */
function problemsNow(facts: QueueFacts, untoldBounces: number, waiting: number, oldestMs: number, policy: AlertPolicy): Problem[] {
  const present: Problem[] = []
  if (facts.newDeferred > 0 || facts.counts.deferred > 0) present.push('deferred')
  if (untoldBounces > 0) present.push('bounced')
  if (waiting > policy.queueSize) present.push('queue-size')
  if (facts.oldestArrivalAt !== null && oldestMs > policy.oldestMs) present.push('oldest')
  return present
}

type AlertText = Pick<Alert, 'severity' | 'title' | 'body'>

interface View {
  at: number
  waiting: number
  oldestMs: number
  policy: AlertPolicy
  untold: { deferred: number; bounced: number }
  causes: Causes
}

const PROBLEM_TEXT: Record<Problem, (v: View) => AlertText> = {
  deferred: (v) => ({
    severity: 'warning',
    title: 'Mail is being deferred',
    body: sentences(`${count(v.untold.deferred, 'delivery', 'deliveries')} deferred; ${waitingText(v.waiting)}, retried automatically.`, v.causes.deferred),
  }),
  bounced: (v) => ({
    severity: 'error',
    title: 'Mail bounced',
    body: sentences(`${count(v.untold.bounced, 'delivery', 'deliveries')} bounced and will not be retried.`, v.causes.bounced),
  }),
  'queue-size': (v) => ({
    severity: 'warning',
    title: 'The mail queue is growing',
    body: `${capital(waitingText(v.waiting))}, more than the ${count(v.policy.queueSize, 'message')} of the Queue size alert.`,
  }),
  oldest: (v) => ({
    severity: 'warning',
    title: 'Mail is waiting too long',
    body: `The oldest message has waited ${duration(v.oldestMs)}, longer than the ${duration(v.policy.oldestMs)} of the Message age alert; ${waitingText(v.waiting)}.`,
  }),
}

function summaryText(v: View, present: Problem[], since: number): AlertText {
  const happened = [v.untold.deferred && `${count(v.untold.deferred, 'delivery', 'deliveries')} deferred`, v.untold.bounced && `${count(v.untold.bounced, 'delivery', 'deliveries')} bounced`].filter(Boolean)
  const oldest = v.oldestMs > 0 ? `; the oldest has waited ${duration(v.oldestMs)}` : ''
  return {
    severity: present.includes('bounced') ? 'error' : 'warning',
    title: present.includes('deferred') ? 'Mail is still not going out' : 'Mail problems go on',
    body: sentences(
      `For ${duration(v.at - since)}: ${waitingText(v.waiting)}${oldest}.`,
      happened.length ? `${capital(happened.join(' and '))} since the last alert.` : null,
      v.causes.deferred,
      v.causes.bounced === v.causes.deferred ? null : v.causes.bounced,
    ),
  }
}

function resolvedText(v: View, since: number, sent: number): AlertText {
  // Emptied with nothing delivered (what waited expired, bounced or was deleted): the trouble may well go on for the next message.
  if (sent === 0 && v.waiting === 0) {
    return { severity: 'warning', title: 'The mail queue is empty', body: `Nothing was delivered during ${duration(v.at - since)} of trouble: what waited bounced, expired or was deleted. Send Test Email to see whether mail goes out now.` }
  }
  const state = v.waiting === 0 ? 'The mail queue has drained' : `Mail is going out again (${waitingText(v.waiting)})`
  return { severity: 'info', title: 'Mail is flowing again', body: `${state} after ${duration(v.at - since)} of trouble.` }
}

const waitingText = (n: number) => `${count(n, 'message')} ${n === 1 ? 'is' : 'are'} waiting`

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function sentences(...parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .map((p) => (/[.!?]$/.test(p) ? p : `${p}.`))
    .join(' ')
}

/** "45 seconds", "12 minutes", "3 hours 20 minutes", "2 days 4 hours": two units at most. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return count(s, 'second')
  const m = Math.floor(s / 60)
  if (m < 60) return count(m, 'minute')
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 ? `${count(h, 'hour')} ${count(m % 60, 'minute')}` : count(h, 'hour')
  const d = Math.floor(h / 24)
  return h % 24 ? `${count(d, 'day')} ${count(h % 24, 'hour')}` : count(d, 'day')
}
