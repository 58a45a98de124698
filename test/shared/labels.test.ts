import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest } from '../../src/shared/api.ts'
import { CLIENT_SECRET_LABEL, DKIM_KEY_LABEL, FIELD_LABELS, PASSWORD_LABEL, type SettingsField } from '../../src/shared/labels.ts'
import type { SettingsFields } from '../../src/shared/settings.ts'
import type { CoreEngine } from '../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, testSettings, unwrap } from '../helpers/engine.ts'
import { selfSignedCert } from '../helpers/tls.ts'

// The settings' labels are written once, in shared/labels.ts: the schema's
// messages and the Logs entry of a save name each field by that text (the
// form's labels are checked in labels-form.test.tsx).

const engines: CoreEngine[] = []
afterEach(async () => {
  for (const engine of engines.splice(0)) {
    await engine.close()
    removeDir(engine.dataDir)
  }
})

/** A value each field's own rule refuses, on settings that are otherwise valid. */
const REFUSED: Partial<{ [K in SettingsField]: unknown }> = {
  hostname: 'mailhost',
  fromName: 'Ops\u0000Console',
  fromAddress: 'not an address',
  relayHost: 'relay host!',
  relayPort: 70000,
  username: 'user\u001bname',
  caPem: '-----BEGIN CERTIFICATE-----',
  minBackoffSec: 1,
  maxBackoffSec: 1,
  maxQueueLifetimeSec: 1,
  concurrency: 0,
  connectionTimeoutSec: 0,
  greetingTimeoutSec: 0,
  maxMessageSizeBytes: 1,
  logRetentionDays: 0,
  sourceRetentionDays: -1,
  sourceRetentionBytes: 1,
  authMethod: 'kerberos',
  oauthTenantId: 'not a tenant',
  oauthClientId: 'client id',
  oauthCredential: 'password',
  oauthCertificatePem: '-----BEGIN CERTIFICATE-----',
  oauthTokenUrl: 'http://idp.example.test/token',
  oauthScope: 'mail\u0007send',
  alertsEnabled: 'yes',
  alertQueueSize: 0,
  alertOldestMinutes: 1.5,
  alertIntervalMinutes: 24 * 60 + 1,
}

function fieldErrors(settings: unknown, password?: string): Record<string, string> {
  const parsed = parseRequest('settings.update', password === undefined ? { settings } : { settings, password })
  if (parsed.ok) throw new Error('the request was accepted')
  return parsed.error.fields ?? {}
}

describe('shared/labels.ts', () => {
  it('names each field in the schema’s messages, its own and the cross-field rules', () => {
    for (const [field, value] of Object.entries(REFUSED) as [SettingsField, unknown][]) {
      const errors = fieldErrors({ ...testSettings({ relayHost: 'relay.example.test' }), [field]: value })
      expect(Object.keys(errors), field).toEqual([field])
      expect(errors[field], field).toContain(FIELD_LABELS[field])
    }
    expect(fieldErrors(testSettings({ relayHost: 'relay.example.test' }), 'pass\nword').password).toContain(PASSWORD_LABEL)
    // Rules across fields name the field to change and the one that requires it.
    const cross: [Partial<SettingsFields>, SettingsField, SettingsField][] = [
      [{ relayHost: 'relay.example.test', useSasl: true, username: '' }, 'username', 'useSasl'],
      [{ relayHost: '', useSasl: true, username: 'u' }, 'useSasl', 'relayHost'],
      [{ relayHost: '', relayPort: 587 }, 'relayPort', 'relayHost'],
      [{ verifyCertificate: false, caPem: selfSignedCert().cert }, 'verifyCertificate', 'caPem'],
    ]
    for (const [over, field, other] of cross) {
      const message = fieldErrors(testSettings(over))[field]
      expect(message, field).toContain(FIELD_LABELS[field])
      expect(message, field).toContain(FIELD_LABELS[other])
    }
  })

  it('names the changed fields in the Logs entry of a save by the same text', async () => {
    const engine = await engineWith({}, { startWorker: false })
    engines.push(engine)
    const pushed: string[][] = []
    engine.on('settings.changed', (e) => pushed.push(e.fields))
    const before = engine.settings.get()
    // Every field but the CA certificate changes in one save; a certificate needs Verify certificate on, so it changes next.
    const everything: SettingsFields = {
      useTls: !before.useTls,
      hostname: 'other.example.test',
      fromName: 'Other Console',
      fromAddress: 'other@example.test',
      relayHost: 'relay.example.test',
      relayPort: 2525,
      useSasl: true,
      username: 'relayuser@example.test',
      authMethod: 'oauth-custom',
      oauthTenantId: 'contoso.onmicrosoft.com',
      oauthClientId: 'smtp-console',
      oauthCredential: 'certificate',
      oauthCertificatePem: selfSignedCert().cert,
      oauthTokenUrl: 'https://login.example.test/token',
      oauthScope: 'smtp.send',
      tlsMode: 'starttls',
      verifyCertificate: false,
      allowPlainAuth: !before.allowPlainAuth,
      caPem: '',
      minBackoffSec: before.minBackoffSec + 1,
      maxBackoffSec: before.maxBackoffSec + 1,
      maxQueueLifetimeSec: before.maxQueueLifetimeSec + 60,
      concurrency: before.concurrency + 1,
      connectionTimeoutSec: before.connectionTimeoutSec + 1,
      greetingTimeoutSec: before.greetingTimeoutSec + 1,
      maxMessageSizeBytes: before.maxMessageSizeBytes + 1024,
      dkimEnabled: true,
      dkimDomain: 'example.test',
      dkimSelector: 'mail2025',
      logRetentionDays: before.logRetentionDays + 1,
      sourceRetentionDays: before.sourceRetentionDays + 1,
      sourceRetentionBytes: before.sourceRetentionBytes + 1024 * 1024,
      publicAddress: '192.0.2.25',
      // Local submission stays off: turned on, it would open a port (test/core/listener covers that).
      listenEnabled: false,
      listenAddress: '0.0.0.0',
      listenPort: before.listenPort + 1,
      listenRequireAuth: !before.listenRequireAuth,
      listenUsername: 'cron',
      listenStarttls: !before.listenStarttls,
      listenCertFile: '/etc/ssl/console.pem',
      listenKeyFile: '/etc/ssl/console.key',
      alertsEnabled: !before.alertsEnabled,
      alertQueueSize: before.alertQueueSize + 1,
      alertOldestMinutes: before.alertOldestMinutes + 1,
      alertIntervalMinutes: before.alertIntervalMinutes + 1,
    }
    const { keyId } = unwrap(await engine.call('dkim.generateKey', { algorithm: 'ed25519' }))
    unwrap(await engine.call('settings.update', { settings: everything, password: 'secret', clientSecret: 'client-secret', dkimKey: { generated: keyId } }))
    unwrap(await engine.call('settings.update', { settings: { ...everything, verifyCertificate: true, caPem: selfSignedCert().cert } }))
    const labelsBut = (...left: SettingsField[]) => (Object.keys(FIELD_LABELS) as SettingsField[]).filter((k) => !left.includes(k)).map((k) => FIELD_LABELS[k])
    expect(pushed).toEqual([
      [...labelsBut('caPem', 'listenEnabled'), `${PASSWORD_LABEL} (replaced)`, `${CLIENT_SECRET_LABEL} (replaced)`, `${DKIM_KEY_LABEL} (replaced)`],
      [FIELD_LABELS.verifyCertificate, FIELD_LABELS.caPem],
    ])
    const events = unwrap(await engine.call('events.list', { limit: 10 }))
    expect(events.items[1]!.message).toBe(`Settings saved: ${pushed[0]!.join(', ')} changed. ${FIELD_LABELS.verifyCertificate} was turned off: server certificates are no longer checked, so a machine on the network path could pose as the server. ${FIELD_LABELS.allowPlainAuth} was turned on: the ${PASSWORD_LABEL} is sent in clear to a relay that offers no STARTTLS.`)
  })
})
