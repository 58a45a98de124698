// The settings' labels as the admin reads them on Edit Settings: the seed's
// words for the first nine, then the Advanced fields. The form, the schema's
// messages and the Logs entry of a save all take them from here, so a renamed
// field reads the same everywhere.

import { ALERT_LABELS } from './alerts.ts'

export const FIELD_LABELS = {
  useTls: 'Use TLS',
  hostname: 'Hostname',
  fromName: 'From Name',
  fromAddress: 'From Address',
  relayHost: 'Relay Host',
  relayPort: 'Relay Port',
  useSasl: 'Use SASL Authorization',
  username: 'Username',
  authMethod: 'Sign-in method',
  oauthTenantId: 'Tenant ID',
  oauthClientId: 'Client ID',
  oauthCredential: 'Client credential',
  oauthCertificatePem: 'Certificate',
  oauthTokenUrl: 'Token URL',
  oauthScope: 'Scope',
  tlsMode: 'TLS mode',
  verifyCertificate: 'Verify certificate',
  allowPlainAuth: 'Allow password without TLS (unsafe)',
  caPem: 'CA certificate',
  minBackoffSec: 'Minimal backoff',
  maxBackoffSec: 'Maximal backoff',
  maxQueueLifetimeSec: 'Maximal queue lifetime',
  concurrency: 'Concurrency',
  connectionTimeoutSec: 'Connection timeout',
  greetingTimeoutSec: 'Greeting timeout',
  maxMessageSizeBytes: 'Message size limit',
  dkimEnabled: 'Sign with DKIM',
  dkimDomain: 'DKIM domain',
  dkimSelector: 'DKIM selector',
  logRetentionDays: 'Log retention',
  sourceRetentionDays: 'Keep sent messages',
  sourceRetentionBytes: 'Kept messages size limit',
  publicAddress: 'Public address',
  // Local submission: the SMTP listener for the system's own mail (under Advanced).
  listenEnabled: 'Local submission',
  listenAddress: 'Listen address',
  listenPort: 'Listen port',
  listenRequireAuth: 'Require AUTH',
  listenUsername: 'Submission username',
  listenStarttls: 'Offer STARTTLS',
  listenCertFile: 'Certificate file',
  listenKeyFile: 'Private key file',
  ...ALERT_LABELS,
} as const

/** A settings field by its key; settings.ts checks that these are exactly its fields. */
export type SettingsField = keyof typeof FIELD_LABELS

/** The password is not a settings field (it is stored sealed, apart), but it is the seed's ninth label. */
export const PASSWORD_LABEL = 'Password'

/** The OAuth 2.0 secrets: like the password, stored sealed and apart from the settings, never shown. */
export const CLIENT_SECRET_LABEL = 'Client secret'
export const PRIVATE_KEY_LABEL = 'Private key'
export const SERVICE_ACCOUNT_KEY_LABEL = 'Service account key (JSON)'
/** Like the password, the DKIM private key is stored sealed, apart from the fields. */
export const DKIM_KEY_LABEL = 'DKIM private key'
/** The password local clients give with AUTH; stored sealed like the relay's. */
export const LISTEN_PASSWORD_LABEL = 'Submission password'

/** The unit a number is typed in on the form, where it is not obvious from the label. */
const FORM_UNITS: Partial<Record<SettingsField, string>> = {
  minBackoffSec: 'seconds',
  maxBackoffSec: 'seconds',
  maxQueueLifetimeSec: 'days',
  connectionTimeoutSec: 'seconds',
  greetingTimeoutSec: 'seconds',
  maxMessageSizeBytes: 'MiB',
  logRetentionDays: 'days',
  sourceRetentionDays: 'days',
  sourceRetentionBytes: 'MiB',
  alertQueueSize: 'messages',
  alertOldestMinutes: 'minutes',
  alertIntervalMinutes: 'minutes',
}

/** A field's label on the form: the label, and its unit in brackets where it has one ("Log retention (days)"). */
export function formLabel(field: SettingsField): string {
  const unit = FORM_UNITS[field]
  return unit ? `${FIELD_LABELS[field]} (${unit})` : FIELD_LABELS[field]
}
