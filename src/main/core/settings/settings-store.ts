import Conf from 'conf'
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { dkimRecord, dkimSigningDomain } from '../../../shared/dkim.ts'
import { CLIENT_SECRET_LABEL, DKIM_KEY_LABEL, FIELD_LABELS, LISTEN_PASSWORD_LABEL, PASSWORD_LABEL, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL } from '../../../shared/labels.ts'
import { CONTROL_CHARS, DEFAULT_SETTINGS, settingsFieldsSchema, settingsSchema, type SettingsFields, type SettingsUpdate, type SettingsView } from '../../../shared/settings.ts'
import type { SettingsProblem } from '../../../shared/types.ts'
import { caCertificateProblem } from './ca-certificate.ts'
import type { EngineOptions, SettingsBackend } from '../engine/engine-types.ts'
import { SecretUnreadable, type SecretCipher } from './secrets.ts'
import { certificateKeyProblem, missingSecret, NO_OAUTH, readRsaKey, readSealedOAuth, readServiceAccountKey, type SealedOAuth } from './oauth-secrets.ts'
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { resealStored } from './reseal.ts'
import { DkimKeyRejected, dkimKeyWarning, generateDkimKey, parseDkimKey, PendingDkimKeys, type DkimKey } from './dkim-key.ts'
import type { DkimKeyChoice, DkimKeyView } from '../../../shared/dkim.ts'

/** The OAuth 2.0 secrets of the saved Sign-in method, decrypted for a session that needs them. */
export interface OAuthSecrets {
  clientSecret: string | null
  privateKey: string | null
  serviceAccount: { clientEmail: string; privateKeyId: string; privateKey: string } | null
}

// The settings of the SMTP page, in one file. The password is stored only
// sealed by the cipher and leaves this module only towards a transport.

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
  // 0600 whatever the umask: the file names the relay and the username.
  return new Conf<Record<string, unknown>>({ cwd: dataDir, configName: 'settings', projectName: 'smtp-console', configFileMode: 0o600 })
}

/** The backend itself, or how to make it: a factory lets a file conf cannot parse wait, untouched, until the admin saves. */
export type SettingsBackendSource = NonNullable<EngineOptions['settingsBackend']>

/** The fields of the SMTP page, saved by every version: a file without one was not written by the console. Later fields take their defaults. */
const REQUIRED_FIELDS: readonly (keyof SettingsFields)[] = ['useTls', 'hostname', 'fromName', 'fromAddress', 'relayHost', 'relayPort', 'useSasl', 'username']

/** The DKIM key as saved: the private key sealed like the password, its public half in clear for the window. */
export interface StoredDkimKey {
  sealed: string
  algorithm: DkimKeyView['algorithm']
  bits: number
  publicKey: string
}

export interface Stored {
  settings: SettingsFields
  password: string | null
  oauth: SealedOAuth
  dkimKey: StoredDkimKey | null
  /** Local submission's AUTH password, sealed like the relay's. */
  listenPassword?: string | null
}

/** What signing needs; the private key only as a KeyObject, read when a message is composed. */
export interface DkimSigningKey {
  domainName: string
  keySelector: string
  algorithm: DkimKeyView['algorithm']
  privateKey: KeyObject
}

export class SettingsStore {
  private backendValue: SettingsBackend | null
  private readonly openBackend: () => SettingsBackend
  private readonly cipher: SecretCipher
  private current: Stored
  /** The settings file as the engine opens it. */
  readonly file: string
  /** Set while the file cannot be read as it was saved; delivery waits until a valid save clears it. */
  problem: SettingsProblem | null = null
  /** Fields read with characters this version refuses replaced (From Name's control characters), for the event log. */
  readonly cleanedAtLoad: string[]
  /** Temporary files of saves a crash interrupted, removed at load. */
  readonly removedTemps: string[]
  /** Keys generated for the form, until Submit saves one. */
  private readonly pendingDkim = new PendingDkimKeys()
  /** The unsealed DKIM key, kept once read so a burst of submits does not unseal it per message; dropped at every save. */
  private dkimKeyCache: { sealed: string; key: KeyObject } | null = null

  constructor(source: SettingsBackendSource, cipher: SecretCipher, options: { file?: string; savedBefore?: boolean } = {}) {
    this.backendValue = typeof source === 'function' ? null : source
    this.openBackend = typeof source === 'function' ? source : () => source
    this.file = options.file ?? (typeof source === 'function' ? 'settings.json' : source.path)
    this.cipher = cipher
    this.removedTemps = removeOrphanTemps(this.file)
    try {
      // A file saved by an older version may be 0644; it names the relay and the username.
      if ((statSync(this.file).mode & 0o777) !== 0o600) chmodSync(this.file, 0o600)
    } catch {
      // No file yet, or not ours to change.
    }
    const { stored, problem, cleaned } = readSettingsFile(this.file, options.savedBefore ?? false)
    this.current = stored
    this.problem = problem
    this.cleanedAtLoad = cleaned ?? []
  }

  private get backend(): SettingsBackend {
    this.backendValue ??= this.openBackend()
    return this.backendValue
  }

  get(): SettingsFields {
    return { ...this.current.settings }
  }

  hasPassword(): boolean {
    return this.current.password !== null
  }

  view(): SettingsView {
    const o = this.current.oauth
    return {
      settings: this.get(),
      hasPassword: this.hasPassword(),
      oauth: {
        microsoft: { hasClientSecret: o.microsoftSecret !== null, hasPrivateKey: o.microsoftKey !== null },
        google: { serviceAccount: o.google?.clientEmail ?? null },
        custom: { hasClientSecret: o.customSecret !== null },
      },
      hasListenPassword: (this.current.listenPassword ?? null) !== null,
      secretStorage: { kind: this.cipher.kind, description: this.cipher.description },
      dkim: this.dkimView(),
    }
  }

  private dkimView(): SettingsView['dkim'] {
    const stored = this.current.dkimKey
    if (!stored) return { key: null, record: null }
    const { sealed: _, ...pub } = stored
    const key: DkimKeyView = { ...pub, warning: dkimKeyWarning(stored.algorithm, stored.bits) }
    const s = this.current.settings
    const domain = dkimSigningDomain(s)
    return { key, record: s.dkimSelector && domain ? dkimRecord(s.dkimSelector, domain, key) : null }
  }

  /** Makes a key for the form and holds it until Submit; the window gets its id and public half only. */
  async generateDkimKey(choice: DkimKeyChoice): Promise<{ keyId: string; key: DkimKeyView }> {
    const key = await generateDkimKey(choice)
    return { keyId: this.pendingDkim.add(key), key: key.view }
  }

  /** The key to sign with, or null when Sign with DKIM is off. */
  async dkimSigningKey(): Promise<DkimSigningKey | null> {
    const s = this.current.settings
    const stored = this.current.dkimKey
    const domain = dkimSigningDomain(s)
    if (!s.dkimEnabled || !stored || !domain) return null
    if (this.dkimKeyCache?.sealed !== stored.sealed) {
      let pem: string
      try {
        pem = await this.cipher.decrypt(stored.sealed)
      } catch (err) {
        throw new Error(`The stored ${DKIM_KEY_LABEL} cannot be decrypted (${(err as Error).message}); generate or paste the key again in Edit Settings.`)
      }
      this.dkimKeyCache = { sealed: stored.sealed, key: createPrivateKey(pem) }
    }
    return { domainName: domain, keySelector: s.dkimSelector, algorithm: stored.algorithm, privateKey: this.dkimKeyCache.key }
  }

  /** The DKIM key as the update leaves it, sealed, and what changed; refuses Sign with DKIM without a key. */
  private async sealDkimKey(update: SettingsUpdate): Promise<{ stored: StoredDkimKey | null; change: 'replaced' | 'cleared' | null }> {
    const key = this.dkimKeyOf(update)
    if (update.settings.dkimEnabled && (key === null || (key === undefined && !this.current.dkimKey))) {
      throw new SettingsRejected({ dkimKey: `Generate a ${DKIM_KEY_LABEL} or paste one: ${FIELD_LABELS.dkimEnabled} is on.` })
    }
    if (key === undefined) return { stored: this.current.dkimKey, change: null }
    if (key === null) return { stored: null, change: this.current.dkimKey ? 'cleared' : null }
    const { algorithm, bits, publicKey } = key.view
    return { stored: { sealed: await this.cipher.encrypt(key.pem), algorithm, bits, publicKey }, change: 'replaced' }
  }

  /** The key an update asks for: undefined keeps the saved one, null clears it. Throws SettingsRejected for a key that cannot sign. */
  private dkimKeyOf(update: SettingsUpdate): DkimKey | null | undefined {
    const asked = update.dkimKey
    if (asked === undefined || asked === null) return asked
    if ('generated' in asked) {
      const key = this.pendingDkim.get(asked.generated)
      if (!key) throw new SettingsRejected({ dkimKey: `The generated ${DKIM_KEY_LABEL} is no longer held (SMTP Console restarted since it was made, or it was made over a day ago): generate it again, and publish the new record.` })
      return key
    }
    try {
      return parseDkimKey(asked.pem)
    } catch (err) {
      if (err instanceof DkimKeyRejected) throw new SettingsRejected({ dkimKey: err.message })
      throw err
    }
  }

  /** The Submission password local clients log in with, read when one does. */
  async listenPassword(): Promise<string | null> {
    if (!this.current.listenPassword) return null
    try {
      return await this.cipher.decrypt(this.current.listenPassword)
    } catch (err) {
      throw new Error(`The stored ${LISTEN_PASSWORD_LABEL} cannot be decrypted (${(err as Error).message}); enter it again in Edit Settings.`)
    }
  }

  async password(): Promise<string | null> {
    if (!this.current.password) return null
    try {
      return await this.cipher.decrypt(this.current.password)
    } catch (err) {
      throw new SecretUnreadable(`The stored SASL password cannot be decrypted (${(err as Error).message}); enter the Password again in Edit Settings.`)
    }
  }

  /** Seals again the secrets the cipher asks to (at start), saying what it could not open; a save made meanwhile wins. */
  async resealSecrets(): Promise<{ resealed: string[]; unreadable: string[] }> {
    const before = this.current
    const done = this.cipher.reseal && !this.problem ? await resealStored(before, this.cipher.reseal.bind(this.cipher)) : { stored: before, resealed: [], unreadable: [] }
    if (done.resealed.length && this.current === before) this.backend.store = { version: 1, ...(this.current = done.stored) }
    return { resealed: this.current === done.stored ? done.resealed : [], unreadable: done.unreadable }
  }

  /** The saved Sign-in method's secrets, decrypted: read only when a token is to be fetched. */
  async oauthSecrets(): Promise<OAuthSecrets> {
    const o = this.current.oauth
    const method = this.current.settings.authMethod
    const open = async (sealed: string | null, label: string) => {
      if (!sealed) return null
      try {
        return await this.cipher.decrypt(sealed)
      } catch (err) {
        throw new SecretUnreadable(`The stored ${label} cannot be decrypted (${(err as Error).message}); enter it again in Edit Settings.`)
      }
    }
    const google = method === 'oauth-google' && o.google ? { ...o.google, privateKey: (await open(o.google.privateKey, SERVICE_ACCOUNT_KEY_LABEL))! } : null
    return {
      clientSecret: await open(method === 'oauth-custom' ? o.customSecret : method === 'oauth-microsoft' ? o.microsoftSecret : null, CLIENT_SECRET_LABEL),
      privateKey: await open(method === 'oauth-microsoft' ? o.microsoftKey : null, PRIVATE_KEY_LABEL),
      serviceAccount: google,
    }
  }

  /** The OAuth 2.0 secrets after an update, sealed, with the labels of what changed; throws SettingsRejected. */
  private async nextOAuth(update: SettingsUpdate): Promise<{ oauth: SealedOAuth; changed: string[] }> {
    const next = update.settings
    const oauth: SealedOAuth = { ...this.current.oauth }
    const changed: string[] = []
    const seal = async (given: string | null | undefined, saved: string | null, label: string): Promise<string | null> => {
      if (given === undefined) return saved
      if (given === null || given === '') {
        if (saved !== null) changed.push(`${label} (cleared)`)
        return null
      }
      changed.push(`${label} (replaced)`)
      return this.cipher.encrypt(given)
    }
    const method = next.authMethod
    if (update.clientSecret !== undefined) {
      if (method === 'oauth-microsoft') oauth.microsoftSecret = await seal(update.clientSecret, oauth.microsoftSecret, CLIENT_SECRET_LABEL)
      else if (method === 'oauth-custom') oauth.customSecret = await seal(update.clientSecret, oauth.customSecret, CLIENT_SECRET_LABEL)
      else if (update.clientSecret) throw new SettingsRejected({ clientSecret: `A ${CLIENT_SECRET_LABEL} is used only with the ${FIELD_LABELS.authMethod} Microsoft 365 or another provider.` })
    }
    if (update.privateKey) {
      const key = readRsaKey(update.privateKey, PRIVATE_KEY_LABEL)
      if (typeof key === 'string') throw new SettingsRejected({ privateKey: key })
    }
    // The certificate and its key are checked together whenever either changes, so a wrong pair is refused here, not by the token endpoint.
    const certificateChanged = next.oauthCertificatePem !== this.current.settings.oauthCertificatePem
    if (method === 'oauth-microsoft' && next.oauthCredential === 'certificate' && next.oauthCertificatePem.trim() !== '' && (update.privateKey || (certificateChanged && oauth.microsoftKey))) {
      const keyPem = update.privateKey || (await this.cipher.decrypt(oauth.microsoftKey!))
      const problem = certificateKeyProblem(next.oauthCertificatePem, keyPem)
      if (problem) throw new SettingsRejected({ [problem.field]: problem.message })
    }
    oauth.microsoftKey = await seal(update.privateKey, oauth.microsoftKey, PRIVATE_KEY_LABEL)
    if (update.serviceAccountKey === null || update.serviceAccountKey === '') {
      if (oauth.google) changed.push(`${SERVICE_ACCOUNT_KEY_LABEL} (cleared)`)
      oauth.google = null
    } else if (update.serviceAccountKey !== undefined) {
      const key = readServiceAccountKey(update.serviceAccountKey)
      if (typeof key === 'string') throw new SettingsRejected({ serviceAccountKey: key })
      oauth.google = { clientEmail: key.clientEmail, privateKeyId: key.privateKeyId, privateKey: await this.cipher.encrypt(key.privateKey) }
      changed.push(`${SERVICE_ACCOUNT_KEY_LABEL} (replaced)`)
    }
    return { oauth, changed }
  }

  private sealListenPassword(update: SettingsUpdate) {
    return sealListenPasswordOf(this.cipher, this.current.listenPassword ?? null, update)
  }

  /**
   * Saves a validated update; returns the labels of what changed and, when it
   * replaced a damaged file, where that file was kept. Throws
   * SettingsRejected and saves nothing.
   */
  async update(update: SettingsUpdate): Promise<{ changed: string[]; keptAs: string | null }> {
    const next = update.settings
    const willHavePassword = update.password === undefined ? this.hasPassword() : update.password !== null && update.password !== ''
    if (next.useSasl && next.authMethod === 'password' && !willHavePassword) {
      throw new SettingsRejected({ password: `Enter the ${PASSWORD_LABEL}: ${FIELD_LABELS.useSasl} is on.` })
    }
    const listen = await this.sealListenPassword(update)
    const caProblem = caCertificateProblem(next.caPem)
    if (caProblem) throw new SettingsRejected({ caPem: caProblem })
    const { oauth, changed: secretsChanged } = await this.nextOAuth(update)
    const missing = next.useSasl ? missingSecret(next.authMethod, next.oauthCredential, oauth) : null
    if (missing) {
      const field = missing === CLIENT_SECRET_LABEL ? 'clientSecret' : missing === PRIVATE_KEY_LABEL ? 'privateKey' : 'serviceAccountKey'
      throw new SettingsRejected({ [field]: `Enter the ${missing}: the ${FIELD_LABELS.authMethod} needs it.` })
    }
    const dkim = await this.sealDkimKey(update)
    let sealed = this.current.password
    if (update.password === null || update.password === '') sealed = null
    else if (update.password !== undefined) sealed = await this.cipher.encrypt(update.password)

    const changed = (Object.keys(FIELD_LABELS) as (keyof SettingsFields)[])
      .filter((k) => JSON.stringify(this.current.settings[k]) !== JSON.stringify(next[k]))
      .map((k): string => FIELD_LABELS[k])
    if (update.password === null || update.password === '') {
      if (this.current.password !== null) changed.push(`${PASSWORD_LABEL} (cleared)`)
    } else if (update.password !== undefined) changed.push(`${PASSWORD_LABEL} (replaced)`)
    changed.push(...secretsChanged)
    if (dkim.change) changed.push(`${DKIM_KEY_LABEL} (${dkim.change})`)
    if (listen.change) changed.push(`${LISTEN_PASSWORD_LABEL} (${listen.change})`)

    // What the admin had in a damaged file is kept beside it, never lost to the save that replaces it;
    // moved rather than copied, so conf (which refuses a file that is not JSON) starts from no file.
    const keptAs = this.problem ? moveAside(this.file) : null
    try {
      this.backend.store = { version: 1, settings: next, password: sealed, oauth, dkimKey: dkim.stored, ...(listen.sealed !== null ? { listenPassword: listen.sealed } : {}) }
    } catch (err) {
      if (keptAs) renameSync(keptAs, this.file)
      throw err
    }
    try {
      chmodSync(this.backend.path, 0o600)
    } catch {
      // A backend without a file of its own (or one on a file system without modes) has nothing to tighten.
    }
    this.current = { settings: { ...next }, password: sealed, oauth, dkimKey: dkim.stored, listenPassword: listen.sealed }
    this.dkimKeyCache = null
    if (update.dkimKey && 'generated' in update.dkimKey) this.pendingDkim.forget(update.dkimKey.generated)
    this.problem = null
    return { changed, keptAs }
  }
}

/** The Submission password as it will be stored, and what changed; refuses Require AUTH without one. */
async function sealListenPasswordOf(
  cipher: SecretCipher,
  current: string | null,
  update: SettingsUpdate,
): Promise<{ sealed: string | null; change: 'replaced' | 'cleared' | null }> {
  const given = update.listenPassword
  const cleared = given === null || given === ''
  if (update.settings.listenEnabled && update.settings.listenRequireAuth && (cleared || (given === undefined && current === null))) {
    throw new SettingsRejected({ listenPassword: `Enter the ${LISTEN_PASSWORD_LABEL}: ${FIELD_LABELS.listenRequireAuth} is on.` })
  }
  if (cleared) return { sealed: null, change: current !== null ? 'cleared' : null }
  if (given === undefined) return { sealed: current, change: null }
  return { sealed: await cipher.encrypt(given), change: 'replaced' }
}

/** Removes `settings.json.tmp-…` files the atomic write (atomically) leaves when the process dies between writing and renaming. */
function removeOrphanTemps(file: string): string[] {
  const dir = dirname(file)
  const prefix = `${basename(file)}.tmp-`
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix) && /^\d{10}[a-f0-9]{6}$/.test(n.slice(prefix.length)))
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    try {
      unlinkSync(join(dir, name))
      removed.push(name)
    } catch {
      // Another process's save in progress, or already gone: not ours to insist on.
    }
  }
  return removed
}

/** Moves a damaged settings file to `<file>.damaged-<time>`; returns the new path, or null when there is no file. */
function moveAside(file: string): string | null {
  if (!existsSync(file)) return null
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  let aside = `${file}.damaged-${stamp}`
  for (let n = 2; existsSync(aside); n++) aside = `${file}.damaged-${stamp}-${n}`
  renameSync(file, aside)
  return aside
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
  if (typeof value === 'number' || typeof value === 'boolean') return `the value ${String(value)}`
  return `a value of type ${typeof value}`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads the settings file exactly as saved. Whatever cannot be read that way
 * is a problem naming the file and the fields: the settings in memory are
 * then the readable fields over the defaults, for the form only, and the
 * engine keeps delivery paused so a default never decides where mail goes.
 */
export function readSettingsFile(file: string, savedBefore: boolean): { stored: Stored; problem: SettingsProblem | null; cleaned?: string[] } {
  const defaults: Stored = { settings: { ...DEFAULT_SETTINGS }, password: null, oauth: { ...NO_OAUTH }, dkimKey: null }
  const fail = (what: string, fields: string[] = [], stored: Stored = defaults) => ({
    stored,
    problem: {
      file,
      fields,
      message:
        `The settings file ${file} cannot be read as it was saved: ${what}. ` +
        'Delivery is paused: queued mail stays queued and nothing is sent until valid settings are saved in Edit Settings. The file was left as it was.',
    },
  })
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      return savedBefore ? fail('it is missing, though settings were saved before (it may have been deleted or moved)') : { stored: defaults, problem: null }
    }
    return fail(`it cannot be read (${code ?? (err as Error).message})`)
  }
  text = text.replace(/^\uFEFF/, '')
  if (text.trim() === '') return fail('it is empty')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return fail('it is not valid JSON (it may have been cut short or edited by hand)')
  }
  if (!isRecord(raw)) return fail(`it holds ${describeValue(raw)} instead of the settings`)
  if (!Object.hasOwn(raw, 'settings')) return fail('it has no settings in it')
  const stored = raw.settings
  if (!isRecord(stored)) return fail(`its settings are ${describeValue(stored)} instead of a set of fields`)

  const settings = { ...DEFAULT_SETTINGS }
  const bad = new Map<string, string>()
  const cleaned: string[] = []
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof SettingsFields)[]) {
    if (!Object.hasOwn(stored, key)) {
      if (REQUIRED_FIELDS.includes(key)) bad.set(FIELD_LABELS[key], 'missing')
      continue
    }
    let value = stored[key]
    // From Name decides nothing about where mail goes: control characters older versions took (a tab) are read as spaces.
    if (key === 'fromName' && typeof value === 'string' && CONTROL_CHARS_ALL.test(value) && !/[\r\n]/.test(value)) {
      value = value.replace(CONTROL_CHARS_ALL, ' ')
      cleaned.push(FIELD_LABELS[key])
    }
    const parsed = settingsFieldsSchema.shape[key].safeParse(value)
    if (parsed.success) (settings as Record<string, unknown>)[key] = parsed.data
    else bad.set(FIELD_LABELS[key], parsed.error.issues[0]?.message ?? 'invalid')
  }
  // Rules across fields hold for every file the console saved; one that breaks them was changed by hand.
  if (bad.size === 0) {
    const whole = settingsSchema.safeParse(settings)
    if (!whole.success) {
      for (const issue of whole.error.issues) {
        const label = FIELD_LABELS[issue.path[0] as keyof SettingsFields] ?? String(issue.path[0])
        if (!bad.has(label)) bad.set(label, issue.message)
      }
    }
  }
  const listenPassword = typeof raw.listenPassword === 'string' && raw.listenPassword !== '' ? raw.listenPassword : null
  let password: string | null = null
  if (typeof raw.password === 'string' && raw.password !== '') password = raw.password
  else if (raw.password !== undefined && raw.password !== null && raw.password !== '') bad.set(PASSWORD_LABEL, `it is ${describeValue(raw.password)}, not a sealed password`)
  else if (settings.useSasl && settings.authMethod === 'password' && bad.size === 0) bad.set(PASSWORD_LABEL, `${FIELD_LABELS.useSasl} is on, and no password is stored`)
  const readOAuth = readSealedOAuth(raw.oauth)
  const oauth = typeof readOAuth === 'string' ? { ...NO_OAUTH } : readOAuth
  if (typeof readOAuth === 'string') bad.set('OAuth 2.0 secrets', readOAuth)
  else if (settings.useSasl && bad.size === 0) {
    const missing = missingSecret(settings.authMethod, settings.oauthCredential, oauth)
    if (missing) bad.set(missing, `${FIELD_LABELS.useSasl} is on with ${FIELD_LABELS.authMethod} ${settings.authMethod}, and none is stored`)
  }
  const dkimKey = readStoredDkimKey(raw.dkimKey)
  if (dkimKey === 'bad') bad.set(DKIM_KEY_LABEL, `it is ${describeValue(raw.dkimKey)}, not a sealed key`)
  else if (settings.dkimEnabled && !dkimKey && bad.size === 0) bad.set(DKIM_KEY_LABEL, `${FIELD_LABELS.dkimEnabled} is on, and no key is stored`)
  const read: Stored = { settings, password, oauth, dkimKey: dkimKey === 'bad' ? null : dkimKey, listenPassword }
  if (bad.size) {
    const list = [...bad].map(([label, why]) => `${label} (${why.replace(/\.$/, '')})`).join('; ')
    return fail(`${bad.size === 1 ? 'this field is' : 'these fields are'} invalid: ${list}`, [...bad.keys()], read)
  }
  return { stored: read, problem: null, cleaned }
}

const CONTROL_CHARS_ALL = new RegExp(CONTROL_CHARS.source, 'g')

/** The saved DKIM key, null when none, 'bad' when the file holds something else there. */
function readStoredDkimKey(value: unknown): StoredDkimKey | null | 'bad' {
  if (value === undefined || value === null) return null
  if (!isRecord(value)) return 'bad'
  const { sealed, algorithm, bits, publicKey } = value
  if (typeof sealed !== 'string' || sealed === '' || (algorithm !== 'rsa' && algorithm !== 'ed25519') || typeof bits !== 'number' || typeof publicKey !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(publicKey)) {
    return 'bad'
  }
  return { sealed, algorithm, bits, publicKey }
}
