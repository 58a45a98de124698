import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiEvents } from '../../../src/shared/api.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, testSettings, unwrap } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// diagnostics.run through the engine as both adapters call it: the form's
// values or the saved settings, the saved password kept to the saved relay,
// and one diagnostics.progress event per finished check.

const USER = 'relay-user'
const PASS = 'saved-pass-1'

let engine: CoreEngine | null = null
let smtp: TestSmtp | null = null
afterEach(async () => {
  await engine?.close()
  if (engine) removeDir(engine.dataDir)
  engine = null
  await smtp?.close()
  smtp = null
})

const parsed = (raw: unknown) => unwrap(parseRequest('diagnostics.run', raw))

describe('diagnostics.run', () => {
  it('checks the saved settings with the saved password, with a progress event per check', async () => {
    smtp = await startSmtp({ tls: 'starttls', auth: { user: USER, pass: PASS } })
    const relay = { relayHost: '127.0.0.1', relayPort: smtp.port, useTls: true, tlsMode: 'starttls' as const, useSasl: true, username: USER, caPem: selfSignedCert().cert }
    engine = await engineWith(relay, { password: PASS, startWorker: false })
    const events: ApiEvents['diagnostics.progress'][] = []
    const off = engine.on('diagnostics.progress', (e) => events.push(e))
    const report = unwrap(await engine.call('diagnostics.run', parsed({ runId: 'page-1', recipientDomain: 'example.net', scope: 'connection' })))
    off()
    expect(report.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['relay.tcp', 'pass'],
      ['relay.banner', 'pass'],
      ['relay.tls', 'pass'],
      // The helper's certificate is valid for two days: trusted through the CA given, and said to expire soon.
      ['relay.certificate', 'warn'],
      ['relay.auth', 'pass'],
      ['relay.sender', 'pass'],
    ])
    expect(events.map((e) => e.runId)).toEqual(report.checks.map(() => 'page-1'))
    expect(events.map((e) => e.check)).toEqual(report.checks)
    expect(smtp.received).toEqual([])
  })

  it("checks the form's values, unsaved, and refuses to send the saved password to another relay", async () => {
    smtp = await startSmtp({ tls: 'starttls', auth: { user: USER, pass: 'typed-pass' } })
    engine = await engineWith({ relayHost: 'mail.example.com', useSasl: true, username: USER }, { password: PASS, startWorker: false })
    const form = testSettings({ relayHost: '127.0.0.1', relayPort: smtp.port, useTls: true, tlsMode: 'starttls', useSasl: true, username: USER, caPem: selfSignedCert().cert })
    const refused = await engine.call('diagnostics.run', parsed({ settings: form }))
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.error).toMatchObject({
      code: 'invalid_request',
      message: 'Type the Password to check 127.0.0.1: the saved one is sent only to the saved Relay Host (mail.example.com).',
      fields: { password: expect.any(String) },
    })
    expect(smtp.connections.opened).toBe(0)
    const typed = unwrap(await engine.call('diagnostics.run', parsed({ settings: form, password: 'typed-pass' })))
    expect(typed.checks.find((c) => c.id === 'relay.auth')?.verdict).toBe('pass')
    // Nothing was saved by checking.
    expect(unwrap(await engine.call('settings.get', undefined)).settings.relayHost).toBe('mail.example.com')
  })

  it('scope connection, and form values checked by the settings schema', async () => {
    const bad = parseRequest('diagnostics.run', { settings: testSettings({ relayHost: 'bad host!' }) })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.fields).toHaveProperty('relayHost')
    const domain = parseRequest('diagnostics.run', { recipientDomain: 'not a domain' })
    expect(domain.ok).toBe(false)
    if (!domain.ok) expect(domain.error.message).toBe('Enter a recipient domain such as example.com, or an email address.')
    expect(parsed(undefined)).toEqual({ scope: 'all' })
  })
})
