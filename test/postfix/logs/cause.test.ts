import { describe, expect, it } from 'vitest'
import { causeOf } from '../../../src/main/postfix/logs/cause.ts'

// The decoder's cause for the reasons Postfix's smtp(8) and qmgr(8) log, in
// their own words (Postfix 3.7), so a Postfix server's deferrals count toward
// its delivery health as the embedded engine's do.

describe('the cause of a reason Postfix logged', () => {
  it('reads through qmgr’s "delivery temporarily suspended" to the reason that stopped the destination', () => {
    expect(causeOf('connect to 127.0.0.1[127.0.0.1]:38777: Connection refused', null)).toBe('connection-refused')
    expect(causeOf('delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:38777: Connection refused', null)).toBe('connection-refused')
    expect(causeOf('delivery temporarily suspended: Cannot start TLS: handshake failure', null)).toBe('tls-handshake-failed')
  })

  it('names a refused login as smtp(8) words it: "SASL authentication failed; server … said"', () => {
    const refused = 'SASL authentication failed; server relay.test[192.0.2.1] said: 535 5.7.8 Error: authentication failed: authentication failure'
    expect(causeOf(refused, 'relay.test[192.0.2.1]:587')).toBe('auth-failed')
    expect(causeOf(`delivery temporarily suspended: ${refused}`, null)).toBe('auth-failed')
  })
})
