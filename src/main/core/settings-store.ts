import Conf from 'conf'
import { DEFAULT_SETTINGS, settingsFieldsSchema, type SettingsFields, type SettingsUpdate, type SettingsView } from '../../shared/settings.ts'
import { caCertificateProblem } from './ca-certificate.ts'
import type { SettingsBackend } from './engine-types.ts'
import type { SecretCipher } from './secrets.ts'

// The settings of the SMTP page, in one file. The password is stored only
// sealed by the cipher and leaves this module only towards a transport.

export const FIELD_LABELS: Record<keyof SettingsFields, string> = {
  useTls: 'Use TLS',
  hostname: 'Hostname',
  fromName: 'From Name',
  fromAddress: 'From Address',
  relayHost: 'Relay Host',
  relayPort: 'Relay Port',
  useSasl: 'Use SASL Authorization',
  username: 'Username',
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
  logRetentionDays: 'Log retention',
}

/** A rule broken by an update, keyed by field; nothing was saved. */
export class SettingsRejected extends Error {
  override name = 'SettingsRejected'
  readonly fields: Record<string, string>
  constructor(fields: Record<string, string>) {
    super(Object.values(fields)[0] ?? 'The settings were not saved.')
    this.fields = fields
  }
}

export function openConfBackend(dataDir: string): SettingsBackend {
  return new Conf<Record<string, unknown>>({ cwd: dataDir, configName: 'settings', projectName: 'smtp-console' }) as unknown as SettingsBackend
}

interface Stored {
  settings: SettingsFields
  password: string | null
}

export class SettingsStore {
  private readonly backend: SettingsBackend
  private readonly cipher: SecretCipher
  private current: Stored
  /** Fields of the file that were invalid and replaced by defaults at load, for the event log. */
  readonly repairedAtLoad: string[] = []

  constructor(backend: SettingsBackend, cipher: SecretCipher) {
    this.backend = backend
    this.cipher = cipher
    this.current = this.load()
  }

  private load(): Stored {
    const raw = this.backend.store
    const stored = (raw.settings ?? {}) as Record<string, unknown>
    const settings = { ...DEFAULT_SETTINGS }
    // Field by field: one bad value edited into the file must not cost the others.
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof SettingsFields)[]) {
      if (!(key in stored)) continue
      const parsed = settingsFieldsSchema.shape[key].safeParse(stored[key])
      if (parsed.success) (settings as Record<string, unknown>)[key] = parsed.data
      else this.repairedAtLoad.push(FIELD_LABELS[key])
    }
    const password = typeof raw.password === 'string' && raw.password ? raw.password : null
    return { settings, password }
  }

  get(): SettingsFields {
    return { ...this.current.settings }
  }

  hasPassword(): boolean {
    return this.current.password !== null
  }

  view(): SettingsView {
    return {
      settings: this.get(),
      hasPassword: this.hasPassword(),
      secretStorage: { kind: this.cipher.kind, description: this.cipher.description },
    }
  }

  async password(): Promise<string | null> {
    if (!this.current.password) return null
    try {
      return await this.cipher.decrypt(this.current.password)
    } catch (err) {
      throw new Error(`The stored SASL password cannot be decrypted (${(err as Error).message}); enter the Password again in Edit Settings.`)
    }
  }

  /** Saves a validated update; returns the labels of what changed. Throws SettingsRejected and saves nothing. */
  async update(update: SettingsUpdate): Promise<string[]> {
    const next = update.settings
    const willHavePassword = update.password === undefined ? this.hasPassword() : update.password !== null && update.password !== ''
    if (next.useSasl && !willHavePassword) {
      throw new SettingsRejected({ password: 'Enter the Password: Use SASL Authorization is on.' })
    }
    const caProblem = caCertificateProblem(next.caPem)
    if (caProblem) throw new SettingsRejected({ caPem: caProblem })
    let sealed = this.current.password
    if (update.password === null || update.password === '') sealed = null
    else if (update.password !== undefined) sealed = await this.cipher.encrypt(update.password)

    const changed = (Object.keys(FIELD_LABELS) as (keyof SettingsFields)[])
      .filter((k) => JSON.stringify(this.current.settings[k]) !== JSON.stringify(next[k]))
      .map((k) => FIELD_LABELS[k])
    if (update.password === null || update.password === '') {
      if (this.current.password !== null) changed.push('Password (cleared)')
    } else if (update.password !== undefined) changed.push('Password (replaced)')

    this.backend.store = { version: 1, settings: next, password: sealed }
    this.current = { settings: { ...next }, password: sealed }
    return changed
  }
}
