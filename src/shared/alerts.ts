import { z } from 'zod'

// Alerts that do not depend on mail: what the engine raises when mail is in
// trouble (deferred, bounced, a queue past its thresholds, and the all-clear),
// shown by the desktop app as notifications and by the browser as banners.

/** What an alert is about: one problem, a summary of an outage that goes on, or the all-clear. */
export const ALERT_KINDS = ['deferred', 'bounced', 'queue-size', 'oldest', 'outage', 'resolved'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** One alert to show, the same to every window and the desktop notification. */
export interface Alert {
  /** Unique per alert (a banner is dismissed by it). */
  id: string
  kind: AlertKind
  at: number
  severity: 'info' | 'warning' | 'error'
  title: string
  body: string
  /** Messages waiting for delivery (held ones not counted) when it was raised. */
  waiting: number
}

/** The count on the tray icon or dock badge: messages waiting while mail is in trouble, 0 otherwise. */
export interface AlertBadge {
  count: number
}

/**
 * What stands now (alerts.current): the latest alert of each problem since the
 * trouble began, oldest first, until the all-clear ends it; none with Show alerts off.
 */
export interface CurrentAlerts {
  alerts: Alert[]
  badge: AlertBadge
}

export const ALERT_LABELS = {
  alertsEnabled: 'Show alerts',
  alertQueueSize: 'Queue size alert',
  alertOldestMinutes: 'Message age alert',
  alertIntervalMinutes: 'Alert interval',
} as const

/** The alert settings (Edit Settings → Advanced → Alerts); defaults, so files saved before they existed still read. */
export const alertSettingsFields = {
  alertsEnabled: z.boolean({ error: `${ALERT_LABELS.alertsEnabled} is on or off.` }).default(true),
  alertQueueSize: z
    .number({ error: `${ALERT_LABELS.alertQueueSize} must be a number of messages.` })
    .int(`${ALERT_LABELS.alertQueueSize} must be a whole number of messages.`)
    .min(1, `${ALERT_LABELS.alertQueueSize} is at least 1 message.`)
    .max(10_000_000, `${ALERT_LABELS.alertQueueSize} is at most 10,000,000 messages.`)
    .default(100),
  alertOldestMinutes: z
    .number({ error: `${ALERT_LABELS.alertOldestMinutes} must be a number of minutes.` })
    .int(`${ALERT_LABELS.alertOldestMinutes} must be a whole number of minutes.`)
    .min(1, `${ALERT_LABELS.alertOldestMinutes} is at least 1 minute.`)
    .max(30 * 24 * 60, `${ALERT_LABELS.alertOldestMinutes} is at most 30 days (43,200 minutes).`)
    .default(60),
  alertIntervalMinutes: z
    .number({ error: `${ALERT_LABELS.alertIntervalMinutes} must be a number of minutes.` })
    .int(`${ALERT_LABELS.alertIntervalMinutes} must be a whole number of minutes.`)
    .min(1, `${ALERT_LABELS.alertIntervalMinutes} is at least 1 minute.`)
    .max(24 * 60, `${ALERT_LABELS.alertIntervalMinutes} is at most one day (1,440 minutes).`)
    .default(30),
}

export const ALERT_DEFAULTS = { alertsEnabled: true, alertQueueSize: 100, alertOldestMinutes: 60, alertIntervalMinutes: 30 } as const
