import { Fragment } from 'react'
import type { DeliveryHealth } from '../../shared/types.ts'
import { formatTime } from '../format.ts'
import { href } from '../routes.ts'

// The dashboard's first line: is mail going out? The engine decides (status.get's
// health), so the browser and the desktop app say the same; this only words it.

/** "14:27" today, "2026-11-28 14:27" on another day. */
export function clockOf(ms: number, now = Date.now()): string {
  const full = formatTime(ms)
  const today = formatTime(now).slice(0, 10)
  return full.startsWith(today) ? full.slice(11, 16) : full.slice(0, 16)
}

export function HealthLine({ health, now }: { health: DeliveryHealth; now?: number }) {
  const flush = <a href={href('/flush-queue')}>Flush Queue</a>
  if (health.state === 'failing') {
    return (
      <p className="health health-failing" role="status" title={health.explanation ? `${health.explanation.summary} ${health.explanation.fix}` : undefined}>
        <strong>Not delivering since {health.since === null ? 'the last attempt' : clockOf(health.since, now)}</strong> — {health.brief} —{' '}
        {health.settingsChangedSince ? (
          <>the settings changed since: {flush} to try them now</>
        ) : health.check.length > 0 ? (
          <>
            check{' '}
            {health.check.map((c, i) => (
              <Fragment key={c.field}>
                {i > 0 && (i === health.check.length - 1 ? ' and ' : ', ')}
                <a href={href('/settings', { focus: c.field })}>{c.label}</a>
              </Fragment>
            ))}
            , then {flush}
          </>
        ) : (
          <>see <a href={href('/logs')}>Logs</a>, then {flush} once it is fixed</>
        )}
      </p>
    )
  }
  if (health.state === 'paused') {
    return (
      <p className="health health-failing" role="status">
        <strong>Not delivering</strong> — the settings file is damaged — <a href={href('/settings')}>open Edit Settings</a> and Submit valid settings
      </p>
    )
  }
  if (health.state === 'delivering') {
    return (
      <p className="health health-ok" role="status">
        <strong>Delivering normally</strong>, last sent <span className="time">{clockOf(health.lastSentAt!, now)}</span>
      </p>
    )
  }
  return (
    <p className="health health-idle" role="status">
      <strong>Nothing sent yet</strong> — <a href={href('/send-test')}>Send Test Email</a> checks the settings
    </p>
  )
}
