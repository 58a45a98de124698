import { FIELD_LABELS, PASSWORD_LABEL } from '../../../shared/labels.ts'
import type { DeliveryHealth } from '../../../shared/types.ts'
import { CATALOGUE, isCauseId, type CauseEntry, type CauseId, type Particulars } from '../errors/catalogue.ts'
import { REACH, stopsEveryDelivery, type FixField } from '../errors/scope.ts'
import type { LoggedFailure } from '../logs/mail-log.ts'
import type { RecipientOutcome } from '../queue/outcome.ts'

// Whether mail is going out, as one line on the dashboard: a failure that
// stops every delivery (errors/scope.ts) starts an outage, which lasts until a
// message goes out or a server answers about a message again. The engine
// logs an outage's start as an error and its end as info, once each.

/** Where the attempts go: through the relay (its host and port name the server in the line), or direct. */
export interface HealthContext {
  throughRelay: boolean
  host?: string | undefined
  port?: number | undefined
}

interface Outage {
  since: number
  at: number
  cause: CauseId
  particulars: Particulars
}

/** What one attempt changed, for the event log. */
export type HealthChange =
  | { kind: 'stopped'; cause: CauseId; summary: string; fix: string; brief: string }
  | { kind: 'resumed'; since: number; sent: boolean }
  | null

function label(field: FixField): string {
  return field === 'password' ? PASSWORD_LABEL : FIELD_LABELS[field]
}

function particulars(ctx: HealthContext): Particulars {
  const p: Particulars = { direct: !ctx.throughRelay }
  if (ctx.host) p.host = ctx.host
  if (ctx.port) p.port = ctx.port
  return p
}

export class DeliveryHealthTracker {
  private lastSentAt: number | null = null
  private outage: Outage | null = null
  private settingsSavedAt: number | null = null

  /** Starts from the log: the last delivery, and the deferrals after it that stop every delivery. */
  seed(log: { lastSentAt: number | null; oldest: LoggedFailure[]; newest: LoggedFailure[] }, ctx: HealthContext): void {
    this.lastSentAt = log.lastSentAt
    const stops = (f: LoggedFailure): f is LoggedFailure & { cause: CauseId } => f.cause !== null && isCauseId(f.cause) && stopsEveryDelivery(f.cause, ctx.throughRelay)
    const first = log.oldest.find(stops)
    const latest = log.newest.find(stops)
    if (first && latest) this.outage = { since: first.at, at: latest.at, cause: latest.cause, particulars: particulars(ctx) }
  }

  /** Takes one attempt's outcomes; says whether delivery stopped or resumed with it. */
  record(outcomes: readonly RecipientOutcome[], at: number, ctx: HealthContext): HealthChange {
    let change: HealthChange = null
    for (const o of outcomes) {
      if (o.cause === 'aborted') continue
      if (o.kind === 'sent') {
        this.lastSentAt = at
        if (this.outage) change = { kind: 'resumed', since: this.outage.since, sent: true }
        this.outage = null
        continue
      }
      if (o.cause && stopsEveryDelivery(o.cause, ctx.throughRelay)) {
        const p = particulars(ctx)
        const startsOrChanges = !this.outage || this.outage.cause !== o.cause
        this.outage = { since: this.outage?.since ?? at, at, cause: o.cause, particulars: p }
        if (startsOrChanges) {
          const entry: CauseEntry = CATALOGUE[o.cause]
          change = { kind: 'stopped', cause: o.cause, summary: entry.summary({ ...p, ...(o.reply ? { reply: o.reply } : {}) }), fix: entry.fix(p), brief: this.brief(o.cause, p) }
        }
      } else if (this.outage && o.relay !== null) {
        // A server answered about this message itself: whatever stopped every delivery is gone.
        change = { kind: 'resumed', since: this.outage.since, sent: false }
        this.outage = null
      }
    }
    return change
  }

  settingsSaved(at: number): void {
    this.settingsSavedAt = at
  }

  view(paused: boolean): DeliveryHealth {
    const none = { since: null, lastFailureAt: null, brief: null, explanation: null, check: [], settingsChangedSince: false }
    if (paused) return { state: 'paused', lastSentAt: this.lastSentAt, ...none }
    const o = this.outage
    if (!o) return { state: this.lastSentAt === null ? 'idle' : 'delivering', lastSentAt: this.lastSentAt, ...none }
    const entry: CauseEntry = CATALOGUE[o.cause]
    const reach = REACH[o.cause]
    return {
      state: 'failing',
      lastSentAt: this.lastSentAt,
      since: o.since,
      lastFailureAt: o.at,
      brief: this.brief(o.cause, o.particulars),
      explanation: { cause: o.cause, summary: entry.summary(o.particulars), fix: entry.fix(o.particulars) },
      check: reach.scope === 'message' ? [] : reach.check.map((field) => ({ field, label: label(field) })),
      settingsChangedSince: this.settingsSavedAt !== null && this.settingsSavedAt > o.at,
    }
  }

  private brief(cause: CauseId, p: Particulars): string {
    const reach = REACH[cause]
    return reach.scope === 'message' ? CATALOGUE[cause].summary(p) : reach.brief(p)
  }
}

/** An outage is said once in Logs: as an error when it starts or its cause changes, as info when it ends. */
export function healthEvent(
  change: HealthChange,
  queueId: string,
  outcomes: readonly RecipientOutcome[],
  now: number,
): { level: 'error' | 'info'; message: string; details: Record<string, unknown> } | null {
  if (!change) return null
  if (change.kind === 'stopped') {
    const o = outcomes.find((x) => x.cause === change.cause)
    return {
      level: 'error',
      message: `Not delivering: ${change.brief}. ${change.summary} ${change.fix}`,
      details: { cause: change.cause, queueId, reply: o?.reply ?? null, relay: o?.relay ?? null },
    }
  }
  const minutes = Math.max(1, Math.round((now - change.since) / 60_000))
  return {
    level: 'info',
    message: change.sent ? `Delivering again: ${queueId} went out after ${minutes} min without a delivery.` : `The server answers again (${queueId}): delivery is no longer stopped.`,
    details: { queueId, since: change.since },
  }
}
