import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, settingsSchema } from '../../src/shared/settings.ts'
import { validationError } from '../../src/shared/api.ts'

// The alert settings: settings saved before they existed read with their
// defaults, and a limit out of range is refused under its field in the admin's words.

describe('the alert settings', () => {
  it('default when absent, as in a settings file saved before them', () => {
    const { alertsEnabled: _a, alertQueueSize: _b, alertOldestMinutes: _c, alertIntervalMinutes: _d, ...older } = DEFAULT_SETTINGS
    expect(settingsSchema.parse(older)).toMatchObject({ alertsEnabled: true, alertQueueSize: 100, alertOldestMinutes: 60, alertIntervalMinutes: 30 })
  })

  it('refuse limits out of range, each under its field', () => {
    const parsed = settingsSchema.safeParse({ ...DEFAULT_SETTINGS, alertsEnabled: 'yes', alertQueueSize: 0, alertOldestMinutes: 2.5, alertIntervalMinutes: 0 })
    expect(parsed.success).toBe(false)
    expect(validationError(parsed.error!).fields).toEqual({
      alertsEnabled: 'Show alerts is on or off.',
      alertQueueSize: 'Queue size alert is at least 1 message.',
      alertOldestMinutes: 'Message age alert must be a whole number of minutes.',
      alertIntervalMinutes: 'Alert interval is at least 1 minute.',
    })
  })
})
