import type { DeliveryHealth } from '../../../shared/types.ts'
import { DeliveryHealthTracker, type HealthContext } from '../../core/engine/health.ts'
import { isCauseId } from '../../core/errors/catalogue.ts'
import { stopsEveryDelivery } from '../../core/errors/scope.ts'
import type { LoggedFailure } from '../../core/logs/mail-log.ts'

// A Postfix server's delivery health from its log index, in the embedded
// engine's words (core/engine/health.ts): failing while the latest deferral
// since the last delivery stops every delivery (the relay refuses the
// connection, TLS or the login fails), since the first of that run.

export interface DeferralsSinceLastSent {
  lastSentAt: number | null
  /** The oldest and the newest deferrals after the last delivery, as MailLog.deferralsSinceLastSent reads them. */
  oldest: LoggedFailure[]
  newest: LoggedFailure[]
}

export function healthFromLog(log: DeferralsSinceLastSent, ctx: HealthContext, settingsSavedAt: number | null): DeliveryHealth {
  const stops = (f: LoggedFailure) => f.cause !== null && isCauseId(f.cause) && stopsEveryDelivery(f.cause, ctx.throughRelay)
  const tracker = new DeliveryHealthTracker()
  const latest = log.newest[0]
  if (!latest || !stops(latest)) {
    tracker.seed({ lastSentAt: log.lastSentAt, oldest: [], newest: [] }, ctx)
    return tracker.view(false)
  }
  // The run began after the last time a server answered about a message of its own, as the engine's tracker ends an outage.
  let first = latest
  let answered = false
  for (const f of log.newest) {
    if (stops(f)) first = f
    else if (f.relay !== null) {
      answered = true
      break
    }
  }
  // Every deferral read is part of the run: it began at the first one since the last delivery.
  if (!answered) first = log.oldest.find(stops) ?? first
  tracker.seed({ lastSentAt: log.lastSentAt, oldest: [first], newest: [latest] }, ctx)
  if (settingsSavedAt !== null) tracker.settingsSaved(settingsSavedAt)
  return tracker.view(false)
}
