import { validationError, type ApiRequest } from '../../shared/api.ts'
import { CLIENT_SECRET_LABEL, DKIM_KEY_LABEL, FIELD_LABELS, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL } from '../../shared/labels.ts'
import { settingsUpdateSchema, type AuthMethod, type OAuthCredential, type SettingsFields, type SettingsView, type TlsMode } from '../../shared/settings.ts'
import type { DkimKeyView } from '../../shared/dkim.ts'
import { LISTEN_FIELDS, listenPasswordOf, listenSettings, toListenDraft, type ListenDraft } from './listenDraft.ts'

// The Edit Settings draft: what the inputs hold (text for numbers, days and
// MiB where the admin thinks in them) and its conversion to an update request.

export interface Draft {
  useTls: boolean
  hostname: string
  fromName: string
  fromAddress: string
  relayHost: string
  relayPort: string
  useSasl: boolean
  username: string
  /** A new password typed by the admin; empty keeps the saved one. */
  password: string
  clearPassword: boolean
  authMethod: AuthMethod
  oauthTenantId: string
  oauthClientId: string
  oauthCredential: OAuthCredential
  oauthCertificatePem: string
  oauthTokenUrl: string
  oauthScope: string
  /** New OAuth 2.0 secrets typed or pasted by the admin; empty keeps the saved ones. */
  clientSecret: string
  privateKey: string
  serviceAccountKey: string
  tlsMode: TlsMode
  verifyCertificate: boolean
  allowPlainAuth: boolean
  caPem: string
  minBackoffSec: string
  maxBackoffSec: string
  maxQueueLifetimeDays: string
  concurrency: string
  connectionTimeoutSec: string
  greetingTimeoutSec: string
  maxMessageSizeMiB: string
  logRetentionDays: string
  sourceRetentionDays: string
  sourceRetentionMiB: string
  alertsEnabled: boolean
  alertQueueSize: string
  alertOldestMinutes: string
  alertIntervalMinutes: string
  dkimEnabled: boolean
  dkimDomain: string
  dkimSelector: string
  /** A key generated in the main process for this draft, saved by Submit; only its public half is here. */
  dkimGenerated: { keyId: string; key: DkimKeyView } | null
  /** A private key pasted by the admin; empty keeps the saved one. */
  dkimPem: string
  clearDkimKey: boolean
  publicAddress: string
  /** Local submission (Advanced). */
  listen: ListenDraft
}

/** TLS mode as Edit Settings names it. */
export const TLS_MODE_LABELS: Record<TlsMode, string> = {
  auto: 'Automatic by port',
  starttls: 'STARTTLS',
  implicit: 'Implicit TLS',
}

const DAY = 86400
const MIB = 1024 * 1024

/** Shortest decimal for a unit conversion: 5 days, 0.5 days, 10 MiB, 1.5 MiB. */
function unitText(value: number, unit: number): string {
  return String(Number((value / unit).toFixed(4)))
}

export function toDraft(view: SettingsView): Draft {
  const s = view.settings
  return {
    useTls: s.useTls,
    hostname: s.hostname,
    fromName: s.fromName,
    fromAddress: s.fromAddress,
    relayHost: s.relayHost,
    relayPort: s.relayPort === null ? '' : String(s.relayPort),
    useSasl: s.useSasl,
    username: s.username,
    password: '',
    clearPassword: false,
    authMethod: s.authMethod,
    oauthTenantId: s.oauthTenantId,
    oauthClientId: s.oauthClientId,
    oauthCredential: s.oauthCredential,
    oauthCertificatePem: s.oauthCertificatePem,
    oauthTokenUrl: s.oauthTokenUrl,
    oauthScope: s.oauthScope,
    clientSecret: '',
    privateKey: '',
    serviceAccountKey: '',
    tlsMode: s.tlsMode,
    verifyCertificate: s.verifyCertificate,
    allowPlainAuth: s.allowPlainAuth,
    caPem: s.caPem,
    minBackoffSec: String(s.minBackoffSec),
    maxBackoffSec: String(s.maxBackoffSec),
    maxQueueLifetimeDays: unitText(s.maxQueueLifetimeSec, DAY),
    concurrency: String(s.concurrency),
    connectionTimeoutSec: String(s.connectionTimeoutSec),
    greetingTimeoutSec: String(s.greetingTimeoutSec),
    maxMessageSizeMiB: unitText(s.maxMessageSizeBytes, MIB),
    logRetentionDays: String(s.logRetentionDays),
    sourceRetentionDays: String(s.sourceRetentionDays),
    sourceRetentionMiB: unitText(s.sourceRetentionBytes, MIB),
    alertsEnabled: s.alertsEnabled,
    alertQueueSize: String(s.alertQueueSize),
    alertOldestMinutes: String(s.alertOldestMinutes),
    alertIntervalMinutes: String(s.alertIntervalMinutes),
    dkimEnabled: s.dkimEnabled,
    dkimDomain: s.dkimDomain,
    dkimSelector: s.dkimSelector,
    dkimGenerated: null,
    dkimPem: '',
    clearDkimKey: false,
    publicAddress: s.publicAddress,
    listen: toListenDraft(view),
  }
}

/** The DKIM key part of the request: undefined keeps the saved key, null clears it. */
export function dkimKeyOf(draft: Draft): ApiRequest<'settings.update'>['dkimKey'] {
  if (draft.clearDkimKey) return null
  if (draft.dkimGenerated) return { generated: draft.dkimGenerated.keyId }
  return draft.dkimPem.trim() === '' ? undefined : { pem: draft.dkimPem }
}

type NumberField = Exclude<
  { [K in keyof SettingsFields]: SettingsFields[K] extends number ? K : never }[keyof SettingsFields],
  undefined
>

/** The numeric fields as the form shows them: label, the draft key, and how text becomes the stored number. */
export const NUMBER_FIELDS: { field: NumberField; draft: keyof Draft; label: string; unit: number; whole: boolean }[] = [
  { field: 'minBackoffSec', draft: 'minBackoffSec', label: FIELD_LABELS.minBackoffSec, unit: 1, whole: true },
  { field: 'maxBackoffSec', draft: 'maxBackoffSec', label: FIELD_LABELS.maxBackoffSec, unit: 1, whole: true },
  { field: 'maxQueueLifetimeSec', draft: 'maxQueueLifetimeDays', label: FIELD_LABELS.maxQueueLifetimeSec, unit: DAY, whole: false },
  { field: 'concurrency', draft: 'concurrency', label: FIELD_LABELS.concurrency, unit: 1, whole: true },
  { field: 'connectionTimeoutSec', draft: 'connectionTimeoutSec', label: FIELD_LABELS.connectionTimeoutSec, unit: 1, whole: true },
  { field: 'greetingTimeoutSec', draft: 'greetingTimeoutSec', label: FIELD_LABELS.greetingTimeoutSec, unit: 1, whole: true },
  { field: 'maxMessageSizeBytes', draft: 'maxMessageSizeMiB', label: FIELD_LABELS.maxMessageSizeBytes, unit: MIB, whole: false },
  { field: 'logRetentionDays', draft: 'logRetentionDays', label: FIELD_LABELS.logRetentionDays, unit: 1, whole: true },
  { field: 'sourceRetentionDays', draft: 'sourceRetentionDays', label: FIELD_LABELS.sourceRetentionDays, unit: 1, whole: true },
  { field: 'sourceRetentionBytes', draft: 'sourceRetentionMiB', label: FIELD_LABELS.sourceRetentionBytes, unit: MIB, whole: false },
  { field: 'alertQueueSize', draft: 'alertQueueSize', label: FIELD_LABELS.alertQueueSize, unit: 1, whole: true },
  { field: 'alertOldestMinutes', draft: 'alertOldestMinutes', label: FIELD_LABELS.alertOldestMinutes, unit: 1, whole: true },
  { field: 'alertIntervalMinutes', draft: 'alertIntervalMinutes', label: FIELD_LABELS.alertIntervalMinutes, unit: 1, whole: true },
]

export type FieldErrors = Record<string, string>

/** The password part of the request: undefined keeps the saved one, null clears it, a string replaces it. */
export function passwordOf(draft: Draft, hasPassword: boolean): string | null | undefined {
  if (hasPassword && draft.clearPassword) return null
  return draft.password === '' ? undefined : draft.password
}

/**
 * The OAuth 2.0 secrets the request carries: only the saved Sign-in method's, and only those typed, so a
 * secret never goes to a method it was not entered for. With `view`, a secret the method needs and has
 * neither saved nor typed is reported under its field.
 */
export function oauthSecretsOf(draft: Draft, view?: SettingsView['oauth']): { secrets: Pick<ApiRequest<'settings.update'>, 'clientSecret' | 'privateKey' | 'serviceAccountKey'>; errors: FieldErrors } {
  const secrets: Pick<ApiRequest<'settings.update'>, 'clientSecret' | 'privateKey' | 'serviceAccountKey'> = {}
  const errors: FieldErrors = {}
  const needs = (field: string, label: string, saved: boolean, typed: string) => {
    if (typed.trim() !== '') return true
    if (draft.useSasl && view && !saved) errors[field] = `Enter the ${label}: the ${FIELD_LABELS.authMethod} needs it.`
    return false
  }
  if (draft.authMethod === 'oauth-microsoft' && draft.oauthCredential === 'secret') {
    if (needs('clientSecret', CLIENT_SECRET_LABEL, view?.microsoft.hasClientSecret ?? true, draft.clientSecret)) secrets.clientSecret = draft.clientSecret
  } else if (draft.authMethod === 'oauth-microsoft') {
    if (needs('privateKey', PRIVATE_KEY_LABEL, view?.microsoft.hasPrivateKey ?? true, draft.privateKey)) secrets.privateKey = draft.privateKey
  } else if (draft.authMethod === 'oauth-custom') {
    if (needs('clientSecret', CLIENT_SECRET_LABEL, view?.custom.hasClientSecret ?? true, draft.clientSecret)) secrets.clientSecret = draft.clientSecret
  } else if (draft.authMethod === 'oauth-google') {
    if (needs('serviceAccountKey', SERVICE_ACCOUNT_KEY_LABEL, (view?.google.serviceAccount ?? 'saved') !== null, draft.serviceAccountKey)) secrets.serviceAccountKey = draft.serviceAccountKey
  }
  return { secrets, errors }
}

/** The Password goes only with the Password method (or to clear it); the OAuth secrets only with theirs. */
function passwordFor(draft: Draft, hasPassword: boolean): string | null | undefined {
  return draft.authMethod === 'password' || draft.clearPassword ? passwordOf(draft, hasPassword) : undefined
}

/** Sign with DKIM without a key: main says the same, said here before anything is sent. */
function dkimKeyProblem(draft: Draft, request: ApiRequest<'settings.update'>, hasDkimKey: boolean): string | null {
  const keyAfter = request.dkimKey === undefined ? hasDkimKey : request.dkimKey !== null
  return draft.dkimEnabled && !keyAfter ? `Generate a ${DKIM_KEY_LABEL} or paste one: ${FIELD_LABELS.dkimEnabled} is on.` : null
}

/** What is saved already, for the checks that depend on it. */
export interface SavedSecrets {
  oauth?: SettingsView['oauth'] | undefined
  hasDkimKey?: boolean | undefined
  hasListenPassword?: boolean | undefined
}

/** Builds the request and checks it with the shared schema, as main will. */
export function buildUpdate(draft: Draft, hasPassword: boolean, saved: SavedSecrets = {}): { update: ApiRequest<'settings.update'> | null; errors: FieldErrors } {
  const hasDkimKey = saved.hasDkimKey ?? false
  const errors: FieldErrors = {}
  const numbers: Partial<Record<NumberField, number>> = {}
  for (const { field, draft: key, label, unit, whole } of NUMBER_FIELDS) {
    const text = String(draft[key]).trim()
    if (text === '') errors[field] = `Enter the ${label}.`
    else if (whole ? !/^\d+$/.test(text) : !/^\d+(\.\d+)?$/.test(text)) errors[field] = `${label} must be ${whole ? 'a whole number' : 'a number'}.`
    else numbers[field] = Math.round(Number(text) * unit)
  }
  let relayPort: number | null = null
  const portText = draft.relayPort.trim()
  if (portText !== '') {
    if (!/^\d+$/.test(portText)) errors.relayPort = `${FIELD_LABELS.relayPort} must be a number from 1 to 65535, or blank.`
    else relayPort = Number(portText)
  }
  const settings = {
    useTls: draft.useTls,
    hostname: draft.hostname,
    fromName: draft.fromName,
    fromAddress: draft.fromAddress,
    relayHost: draft.relayHost,
    relayPort,
    useSasl: draft.useSasl,
    username: draft.username,
    authMethod: draft.authMethod,
    oauthTenantId: draft.oauthTenantId,
    oauthClientId: draft.oauthClientId,
    oauthCredential: draft.oauthCredential,
    oauthCertificatePem: draft.oauthCertificatePem,
    oauthTokenUrl: draft.oauthTokenUrl,
    oauthScope: draft.oauthScope,
    tlsMode: draft.tlsMode,
    verifyCertificate: draft.verifyCertificate,
    allowPlainAuth: draft.allowPlainAuth,
    caPem: draft.caPem,
    // Fields that did not parse are reported above; a valid stand-in keeps the schema's other checks meaningful.
    minBackoffSec: numbers.minBackoffSec ?? 300,
    maxBackoffSec: numbers.maxBackoffSec ?? Math.max(4000, numbers.minBackoffSec ?? 0),
    maxQueueLifetimeSec: numbers.maxQueueLifetimeSec ?? 5 * DAY,
    concurrency: numbers.concurrency ?? 10,
    connectionTimeoutSec: numbers.connectionTimeoutSec ?? 30,
    greetingTimeoutSec: numbers.greetingTimeoutSec ?? 30,
    maxMessageSizeBytes: numbers.maxMessageSizeBytes ?? 10 * MIB,
    logRetentionDays: numbers.logRetentionDays ?? 90,
    sourceRetentionDays: numbers.sourceRetentionDays ?? 7,
    sourceRetentionBytes: numbers.sourceRetentionBytes ?? 500 * MIB,
    alertsEnabled: draft.alertsEnabled,
    alertQueueSize: numbers.alertQueueSize ?? 100,
    alertOldestMinutes: numbers.alertOldestMinutes ?? 60,
    alertIntervalMinutes: numbers.alertIntervalMinutes ?? 30,
    dkimEnabled: draft.dkimEnabled,
    dkimDomain: draft.dkimDomain,
    dkimSelector: draft.dkimSelector,
    publicAddress: draft.publicAddress,
    ...listenSettings(draft.listen, errors),
  }
  const password = passwordFor(draft, hasPassword)
  const oauth = oauthSecretsOf(draft, saved.oauth)
  for (const [key, message] of Object.entries(oauth.errors)) errors[key] ??= message
  const dkimKey = dkimKeyOf(draft)
  const listenPassword = listenPasswordOf(draft.listen, saved.hasListenPassword ?? false)
  const request: ApiRequest<'settings.update'> = {
    settings,
    ...(password === undefined ? {} : { password }),
    ...oauth.secrets,
    ...(dkimKey === undefined ? {} : { dkimKey }),
    ...(listenPassword === undefined ? {} : { listenPassword }),
  }
  const parsed = settingsUpdateSchema.safeParse(request)
  if (!parsed.success) {
    for (const [key, message] of Object.entries(validationError(parsed.error).fields ?? {})) if (!(key in errors)) errors[key] = message
  }
  const keyProblem = dkimKeyProblem(draft, request, hasDkimKey)
  if (keyProblem && !errors.dkimKey) errors.dkimKey = keyProblem
  if (Object.keys(errors).length > 0) return { update: null, errors }
  // The request carries what the admin typed; main trims and normalizes with the same schema.
  return { update: request, errors }
}

/** Fields that live in the collapsed Advanced section. */
export const ADVANCED_FIELDS = new Set<string>(['verifyCertificate', 'allowPlainAuth', 'caPem', 'publicAddress', ...NUMBER_FIELDS.map((f) => f.field), 'alertsEnabled', 'dkimEnabled', 'dkimDomain', 'dkimSelector', 'dkimKey', ...LISTEN_FIELDS])
