import { describe, expect, it } from 'vitest'
import { healthFromLog } from '../../../src/main/postfix/logs/health.ts'

// The health line from the deferrals a Postfix log holds since its last
// delivery, newest first as MailLog.deferralsSinceLastSent reads them.

const relay = { throughRelay: true, host: 'relay.example.test', port: 587 }
const refused = (at: number) => ({ at, cause: 'connection-refused', relay: null })
const greylisted = (at: number) => ({ at, cause: 'greylisted', relay: 'relay.example.test[192.0.2.1]:587' })

describe('a Postfix server’s delivery health from its log', () => {
  it('is failing only while the latest deferral stops every delivery, since the first of that run', () => {
    const run = [refused(40), refused(30), greylisted(20), refused(10)]
    const h = healthFromLog({ lastSentAt: 5, oldest: [...run].reverse(), newest: run }, relay, null)
    expect(h).toMatchObject({ state: 'failing', lastSentAt: 5, since: 30, lastFailureAt: 40, brief: 'connection refused by relay.example.test:587' })

    // The relay answered about a message after the refusals: no longer stopped.
    const answered = [greylisted(50), ...run]
    expect(healthFromLog({ lastSentAt: 5, oldest: [...answered].reverse(), newest: answered }, relay, null)).toMatchObject({ state: 'delivering', since: null, brief: null })
    // Direct to each domain's MX, one server refusing stops only its own domain.
    expect(healthFromLog({ lastSentAt: null, oldest: [refused(10)], newest: [refused(10)] }, { throughRelay: false }, null).state).toBe('idle')
  })

  it('says a save after the latest failure, so Flush Queue tries the new settings', () => {
    const log = { lastSentAt: null, oldest: [refused(10)], newest: [refused(20), refused(10)] }
    expect(healthFromLog(log, relay, 15).settingsChangedSince).toBe(false)
    expect(healthFromLog(log, relay, 25).settingsChangedSince).toBe(true)
  })
})
