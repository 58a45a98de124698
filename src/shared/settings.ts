import { z } from 'zod'
import { CLIENT_SECRET_LABEL, DKIM_KEY_LABEL, FIELD_LABELS, LISTEN_PASSWORD_LABEL, PASSWORD_LABEL, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL, type SettingsField } from './labels.ts'
import { addressDomain, dkimAligned, isDkimSelector, type DkimKeyView, type DkimRecord } from './dkim.ts'
import { ALERT_DEFAULTS, alertSettingsFields } from './alerts.ts'

// The settings of the SMTP page. Labels are the seed's words; the advanced
// fields are what a mature mail tool needs beyond them.

export const TLS_MODES = ['auto', 'starttls', 'implicit'] as const
export type TlsMode = (typeof TLS_MODES)[number]

/**
 * How the console signs in to the relay under Use SASL Authorization: the Username and Password, or an
 * OAuth 2.0 access token (SASL XOAUTH2) fetched by the console itself, with no user present.
 */
export const AUTH_METHODS = ['password', 'oauth-microsoft', 'oauth-google', 'oauth-custom'] as const
export type AuthMethod = (typeof AUTH_METHODS)[number]

/** How a Microsoft 365 app proves who it is to the token endpoint: a client secret, or a certificate whose key signs an assertion. */
export const OAUTH_CREDENTIALS = ['secret', 'certificate'] as const
export type OAuthCredential = (typeof OAUTH_CREDENTIALS)[number]

/** A method that signs in with a token rather than the Password. */
export const isOAuthMethod = (m: AuthMethod): boolean => m !== 'password'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isGuid = (v: string): boolean => GUID.test(v)

/**
 * A token URL the client secret may be sent to: https, or http to this machine only (a local gateway, a test),
 * since the secret travels in the request.
 */
export function tokenUrlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `${FIELD_LABELS.oauthTokenUrl} must be a full address, such as https://login.example.com/oauth2/token.`
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url.username || url.password ? `${FIELD_LABELS.oauthTokenUrl} must not contain a user name or password: enter the ${CLIENT_SECRET_LABEL} in its own field.` : null
  return `${FIELD_LABELS.oauthTokenUrl} must start with https:// (the ${CLIENT_SECRET_LABEL} is sent to it); http:// is allowed only to this machine.`
}

/** The parts of a Google service account key (the JSON file of the Google Cloud console) the console uses. */
export interface ServiceAccountKey {
  clientEmail: string
  privateKeyId: string
  privateKey: string
}

const SERVICE_ACCOUNT_SHAPE = `The ${SERVICE_ACCOUNT_KEY_LABEL} must be the JSON key file Google gives for a service account (with "type": "service_account", "client_email" and "private_key").`

/** Reads a service account key; a string is what is wrong with it, in the admin's words. */
export function parseServiceAccountKey(text: string): ServiceAccountKey | string {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return `${SERVICE_ACCOUNT_SHAPE} This text is not JSON.`
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return SERVICE_ACCOUNT_SHAPE
  const k = raw as Record<string, unknown>
  if (k.type !== 'service_account') return `${SERVICE_ACCOUNT_SHAPE} This key's type is ${JSON.stringify(k.type ?? null)}.`
  if (typeof k.client_email !== 'string' || !isMailbox(k.client_email)) return `${SERVICE_ACCOUNT_SHAPE} Its client_email is missing.`
  if (typeof k.private_key !== 'string' || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(k.private_key)) return `${SERVICE_ACCOUNT_SHAPE} Its private_key is missing.`
  return { clientEmail: k.client_email, privateKeyId: typeof k.private_key_id === 'string' ? k.private_key_id : '', privateKey: k.private_key }
}

/** What a connection really does once Use TLS, the mode and the port are combined. */
export type EffectiveTls = 'none' | 'starttls' | 'implicit' | 'opportunistic'

const NO_CRLF = /^[^\r\n]*$/
const noCrlf = (label: string) =>
  z.string().regex(NO_CRLF, `${label} must be on one line (no line breaks).`)

// C0 and C1 controls and DEL: NUL is AUTH PLAIN's separator and ESC drives terminals; none belongs
// in a name, a subject or a credential.
export const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/
export const hasNoControlChars = (v: string): boolean => !CONTROL_CHARS.test(v)
export const noControlMessage = (label: string) => `${label} must not contain control characters (such as tab, NUL or escape).`

/** The CA certificate's size limit: a chain of a few certificates is a few KiB. */
export const CA_PEM_MAX = 64 * 1024
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g

/** The certificate blocks of a PEM text, each from BEGIN to END; text between blocks is left out. */
export function pemCertificates(pem: string): string[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => m[0])
}

/** Every BEGIN has its END and a base64 body, and there is at least one block. */
function isPemCertificates(pem: string): boolean {
  const blocks = [...pem.matchAll(PEM_BLOCK)]
  const begins = pem.split('-----BEGIN ').length - 1
  return blocks.length > 0 && blocks.length === begins && blocks.every((m) => /^[A-Za-z0-9+/=\s]+$/.test(m[1]!))
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i

/** A fully qualified domain name: two or more labels, a non-numeric top level. */
export function isFqdn(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  if (name.length === 0 || name.length > 253) return false
  const labels = name.split('.')
  if (labels.length < 2) return false
  if (!labels.every((l) => LABEL.test(l))) return false
  return !/^\d+$/.test(labels[labels.length - 1]!)
}

/** A host name of one or more labels (an internal relay may be called just "mailhub"). */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false
  const labels = (value.endsWith('.') ? value.slice(0, -1) : value).split('.')
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!)
}

export function isIPv4(value: string): boolean {
  const parts = value.split('.')
  return parts.length === 4 && parts.every((p) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(p))
}

export function isIPv6(value: string): boolean {
  let v = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value
  if (!/^[0-9a-f:.]+$/i.test(v) || !v.includes(':')) return false
  const lastColon = v.lastIndexOf(':')
  const tail = v.slice(lastColon + 1)
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false
    v = `${v.slice(0, lastColon + 1)}0:0`
  }
  const halves = v.split('::')
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')))
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false
  return halves.length === 2 ? groups.length < 8 : groups.length === 8
}

/** Whether the Internet could see this address (not loopback, private, link-local, shared or unique-local). */
export function isRoutable(address: string): boolean {
  if (isIPv4(address)) {
    const [a, b] = address.split('.').map(Number) as [number, number]
    return !(a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168))
  }
  const v = address.toLowerCase()
  if (v === '::1' || v === '::') return false
  if (v.startsWith('::ffff:')) return isRoutable(v.slice(7))
  return !/^(fe[89ab]|f[cd])/.test(v)
}

// RFC 5321 mailbox: a dot-atom local part (or a quoted one without CR/LF) at a domain.
const LOCAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const LOCAL_QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/

/** What nodemailer's SMTP connection refuses in an envelope address (smtp-connection _setEnvelope). */
export const ENVELOPE_REFUSED = /[\r\n<>]/

export function isMailbox(value: string): boolean {
  // A quoted local part may hold < and >, but nodemailer will not send them: refused here, not retried for days.
  if (ENVELOPE_REFUSED.test(value) || value.length > 254) return false
  const at = value.lastIndexOf('@')
  if (at <= 0) return false
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (local.length > 64) return false
  if (!LOCAL_DOT_ATOM.test(local) && !LOCAL_QUOTED.test(local)) return false
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const literal = domain.slice(1, -1)
    return isIPv4(literal) || (literal.toLowerCase().startsWith('ipv6:') && isIPv6(literal.slice(5)))
  }
  return isFqdn(domain)
}

export const mailboxSchema = (label: string) =>
  z
    .string()
    .trim()
    .min(1, `Enter ${label}.`)
    .refine(isMailbox, `${label[0]!.toUpperCase()}${label.slice(1)} must be a valid email address, like admin@example.com.`)

// Local submission: an SMTP listener for the system's own mail (cron, monitoring, scripts).
const L = FIELD_LABELS
const pathField = (label: string) => noCrlf(label).trim().max(4096, `${label} is limited to 4096 characters.`).refine(hasNoControlChars, noControlMessage(label))
const listenFields = {
  listenEnabled: z.boolean(),
  listenAddress: z
    .string()
    .trim()
    .refine((v) => isIPv4(v) || isIPv6(v), `${L.listenAddress} must be an IP address of this machine, such as 127.0.0.1, ::1, or 0.0.0.0 for every address.`)
    .transform((v) => (v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v)),
  listenPort: z
    .number({ error: `${L.listenPort} must be a number from 1 to 65535.` })
    .int(`${L.listenPort} must be a whole number.`)
    .min(1, `${L.listenPort} must be from 1 to 65535.`)
    .max(65535, `${L.listenPort} must be from 1 to 65535.`),
  listenRequireAuth: z.boolean(),
  listenUsername: noCrlf(L.listenUsername).max(256, `${L.listenUsername} is limited to 256 characters.`).refine(hasNoControlChars, noControlMessage(L.listenUsername)),
  listenStarttls: z.boolean(),
  /** PEM files for STARTTLS; both blank, a certificate generated in the data directory is used. */
  listenCertFile: pathField(L.listenCertFile),
  listenKeyFile: pathField(L.listenKeyFile),
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x): only this machine can connect there. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '')
  if (isIPv4(a)) return a.startsWith('127.')
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) return a.slice(7).startsWith('127.')
  return isIPv6(a) && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(a)
}

export const settingsFieldsSchema = z.object({
  useTls: z.boolean(),
  hostname: noCrlf(FIELD_LABELS.hostname)
    .trim()
    .min(1, `Enter the ${FIELD_LABELS.hostname}, a fully qualified domain name such as mail.example.com.`)
    .refine(isFqdn, `${FIELD_LABELS.hostname} must be a fully qualified domain name, such as mail.example.com.`),
  fromName: noCrlf(FIELD_LABELS.fromName).max(200, `${FIELD_LABELS.fromName} is limited to 200 characters.`).refine(hasNoControlChars, noControlMessage(FIELD_LABELS.fromName)),
  fromAddress: z
    .string()
    .trim()
    .min(1, `Enter the ${FIELD_LABELS.fromAddress}.`)
    .refine((v) => NO_CRLF.test(v), `${FIELD_LABELS.fromAddress} must be on one line (no line breaks).`)
    .refine(isMailbox, `${FIELD_LABELS.fromAddress} must be a valid email address, like alerts@example.com.`),
  relayHost: noCrlf(FIELD_LABELS.relayHost)
    .trim()
    .refine(
      (v) => v === '' || isHostName(v) || isIPv4(v) || isIPv6(v),
      `${FIELD_LABELS.relayHost} must be a host name, an IPv4 or IPv6 address, or blank for direct sending.`,
    )
    .transform((v) => (v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v)),
  relayPort: z
    .number({ error: `${FIELD_LABELS.relayPort} must be a number from 1 to 65535, or blank.` })
    .int(`${FIELD_LABELS.relayPort} must be a whole number.`)
    .min(1, `${FIELD_LABELS.relayPort} must be from 1 to 65535.`)
    .max(65535, `${FIELD_LABELS.relayPort} must be from 1 to 65535.`)
    .nullable(),
  useSasl: z.boolean(),
  username: noCrlf(FIELD_LABELS.username).max(256, `${FIELD_LABELS.username} is limited to 256 characters.`).refine(hasNoControlChars, noControlMessage(FIELD_LABELS.username)),
  // The sign-in fields default, so an update written before they existed (a script, an older window) still reads as Password.
  authMethod: z.enum(AUTH_METHODS, { error: `Choose a ${FIELD_LABELS.authMethod}: Password, Microsoft 365, Google or another provider.` }).default('password'),
  oauthTenantId: noCrlf(FIELD_LABELS.oauthTenantId)
    .trim()
    .refine(
      (v) => v === '' || isGuid(v) || isFqdn(v),
      `${FIELD_LABELS.oauthTenantId} must be the tenant's ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) or its domain, such as contoso.onmicrosoft.com.`,
    )
    .default(''),
  oauthClientId: noCrlf(FIELD_LABELS.oauthClientId)
    .trim()
    .max(256, `${FIELD_LABELS.oauthClientId} is limited to 256 characters.`)
    .refine((v) => !/[\s\x00-\x1f\x7f]/.test(v), `${FIELD_LABELS.oauthClientId} must not contain spaces or control characters.`)
    .default(''),
  oauthCredential: z.enum(OAUTH_CREDENTIALS, { error: `Choose the ${FIELD_LABELS.oauthCredential}: a ${CLIENT_SECRET_LABEL} or a certificate.` }).default('secret'),
  oauthCertificatePem: z
    .string()
    .max(CA_PEM_MAX, `The ${FIELD_LABELS.oauthCertificatePem} is limited to 64 KiB: paste only the app's certificate.`)
    .refine(
      (v) => v.length > CA_PEM_MAX || v.trim() === '' || isPemCertificates(v),
      `The ${FIELD_LABELS.oauthCertificatePem} must be in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`,
    )
    .default(''),
  oauthTokenUrl: noCrlf(FIELD_LABELS.oauthTokenUrl)
    .trim()
    .max(2048, `${FIELD_LABELS.oauthTokenUrl} is limited to 2048 characters.`)
    .superRefine((v, ctx) => {
      const problem = v === '' ? null : tokenUrlProblem(v)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    .default(''),
  oauthScope: noCrlf(FIELD_LABELS.oauthScope)
    .trim()
    .max(1024, `${FIELD_LABELS.oauthScope} is limited to 1024 characters.`)
    .refine(hasNoControlChars, noControlMessage(FIELD_LABELS.oauthScope))
    .default(''),
  tlsMode: z.enum(TLS_MODES),
  verifyCertificate: z.boolean(),
  /** Lets the SASL password go over a connection without TLS; off, a relay without STARTTLS gets no login at all. */
  allowPlainAuth: z.boolean(),
  caPem: z
    .string()
    .max(CA_PEM_MAX, `The ${FIELD_LABELS.caPem} is limited to 64 KiB: paste only the certificate authority that signed the relay’s certificate.`)
    .refine(
      (v) => v.length > CA_PEM_MAX || v.trim() === '' || isPemCertificates(v),
      `The ${FIELD_LABELS.caPem} must be in PEM form: one or more blocks from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`,
    ),
  minBackoffSec: z.number().int().min(10, `${FIELD_LABELS.minBackoffSec} is at least 10 seconds.`).max(86400, `${FIELD_LABELS.minBackoffSec} is at most one day.`),
  maxBackoffSec: z.number().int().min(10, `${FIELD_LABELS.maxBackoffSec} is at least 10 seconds.`).max(7 * 86400, `${FIELD_LABELS.maxBackoffSec} is at most 7 days.`),
  maxQueueLifetimeSec: z
    .number()
    .int()
    .min(60, `${FIELD_LABELS.maxQueueLifetimeSec} is at least one minute.`)
    .max(30 * 86400, `${FIELD_LABELS.maxQueueLifetimeSec} is at most 30 days.`),
  concurrency: z.number().int().min(1, `${FIELD_LABELS.concurrency} is at least 1.`).max(100, `${FIELD_LABELS.concurrency} is at most 100.`),
  connectionTimeoutSec: z.number().int().min(1, `${FIELD_LABELS.connectionTimeoutSec} is at least 1 second.`).max(600, `${FIELD_LABELS.connectionTimeoutSec} is at most 600 seconds.`),
  greetingTimeoutSec: z.number().int().min(1, `${FIELD_LABELS.greetingTimeoutSec} is at least 1 second.`).max(600, `${FIELD_LABELS.greetingTimeoutSec} is at most 600 seconds.`),
  maxMessageSizeBytes: z.number().int().min(1024, `${FIELD_LABELS.maxMessageSizeBytes} is at least 1 KiB.`).max(100 * 1024 * 1024, `${FIELD_LABELS.maxMessageSizeBytes} is at most 100 MiB.`),
  dkimEnabled: z.boolean(),
  dkimDomain: noCrlf(FIELD_LABELS.dkimDomain)
    .trim()
    .toLowerCase()
    .refine((v) => v === '' || isFqdn(v), `${FIELD_LABELS.dkimDomain} must be a domain name such as example.com, or blank for the ${FIELD_LABELS.fromAddress}’s domain.`)
    .transform((v) => v.replace(/\.$/, '')),
  dkimSelector: noCrlf(FIELD_LABELS.dkimSelector)
    .trim()
    .toLowerCase()
    .refine((v) => v === '' || isDkimSelector(v), `${FIELD_LABELS.dkimSelector} must be letters, digits and hyphens (dots may separate parts), such as mail2025: it becomes part of a DNS name.`),
  logRetentionDays: z.number().int().min(1, `${FIELD_LABELS.logRetentionDays} is at least 1 day.`).max(3650, `${FIELD_LABELS.logRetentionDays} is at most 3650 days.`),
  /** How long the source of a message that left the queue is kept, to open it from the Mail Log; 0 keeps none. */
  sourceRetentionDays: z.number().int().min(0, `${FIELD_LABELS.sourceRetentionDays} is 0 (keep none) or more days.`).max(365, `${FIELD_LABELS.sourceRetentionDays} is at most 365 days.`),
  /** The most the kept sources may take together; the oldest go first past it. */
  sourceRetentionBytes: z
    .number()
    .int()
    .min(1024 * 1024, `${FIELD_LABELS.sourceRetentionBytes} is at least 1 MiB.`)
    .max(100 * 1024 * 1024 * 1024, `${FIELD_LABELS.sourceRetentionBytes} is at most 100 GiB (102400 MiB).`),
  /** The address the Internet sees this system send from, for the Troubleshooting DNS checks; blank: learned from the relay's or MX's EHLO reply. */
  publicAddress: z
    .string()
    .trim()
    .refine((v) => v === '' || isIPv4(v) || isIPv6(v), `${FIELD_LABELS.publicAddress} must be an IPv4 or IPv6 address, such as 203.0.113.25, or blank.`)
    .refine((v) => v === '' || !(isIPv4(v) || isIPv6(v)) || isRoutable(v.replace(/^\[|\]$/g, '')), `${FIELD_LABELS.publicAddress} must be the address the Internet sees, not a private, loopback or link-local one; leave it blank if you do not know it.`)
    .transform((v) => v.replace(/^\[|\]$/g, '').toLowerCase()),
  ...listenFields,
  ...alertSettingsFields,
})

export type SettingsFields = z.infer<typeof settingsFieldsSchema>

// Every field has its label in labels.ts and every label its field: a field added or renamed without one fails to compile.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _everyFieldLabelled: SameKeys<keyof SettingsFields, SettingsField> = true

/** Cross-field rules; each names the field the admin must change. */
export const settingsSchema = settingsFieldsSchema.superRefine((s, ctx) => {
  if (s.useSasl && s.username.trim() === '') {
    ctx.addIssue({ code: 'custom', path: ['username'], message: `Enter the ${FIELD_LABELS.username}: ${FIELD_LABELS.useSasl} is on.` })
  }
  if (s.useSasl && s.relayHost === '') {
    ctx.addIssue({ code: 'custom', path: ['useSasl'], message: `${FIELD_LABELS.useSasl} is used with a relay host; enter a ${FIELD_LABELS.relayHost} or turn it off.` })
  }
  if (s.relayHost === '' && s.relayPort !== null) {
    ctx.addIssue({ code: 'custom', path: ['relayPort'], message: `Leave ${FIELD_LABELS.relayPort} blank for direct sending (port 25 is used), or enter a ${FIELD_LABELS.relayHost}.` })
  }
  if (s.useSasl) oauthRules(s, ctx)
  if (s.maxBackoffSec < s.minBackoffSec) {
    ctx.addIssue({ code: 'custom', path: ['maxBackoffSec'], message: `${FIELD_LABELS.maxBackoffSec} must not be shorter than the minimal backoff.` })
  }
  if (!s.verifyCertificate && s.caPem.trim() !== '') {
    ctx.addIssue({ code: 'custom', path: ['verifyCertificate'], message: `A ${FIELD_LABELS.caPem} is only used when ${FIELD_LABELS.verifyCertificate} is on.` })
  }
  dkimRules(s, ctx)
  listenRules(s, (path, message) => ctx.addIssue({ code: 'custom', path: [path], message }))
})

/** What each OAuth 2.0 sign-in method needs, each message under the field to fill. */
function oauthRules(s: SettingsFields, ctx: z.RefinementCtx): void {
  const need = (field: SettingsField, message: string) => ctx.addIssue({ code: 'custom', path: [field], message })
  const method = s.authMethod
  if (method === 'password') return
  if (s.username.trim() !== '' && !isMailbox(s.username.trim())) {
    need('username', `With OAuth 2.0 the ${FIELD_LABELS.username} is the mailbox to send as: enter its email address, like alerts@example.com.`)
  }
  if (method === 'oauth-microsoft') {
    if (s.oauthTenantId === '') need('oauthTenantId', `Enter the ${FIELD_LABELS.oauthTenantId} of the Microsoft 365 tenant (Microsoft Entra admin center, Overview).`)
    if (s.oauthClientId === '') need('oauthClientId', `Enter the ${FIELD_LABELS.oauthClientId} (Application ID) of the app registered in Microsoft Entra ID.`)
    else if (!isGuid(s.oauthClientId)) need('oauthClientId', `The ${FIELD_LABELS.oauthClientId} of a Microsoft Entra app is a GUID, such as 00001111-aaaa-2222-bbbb-3333cccc4444.`)
    if (s.oauthCredential === 'certificate' && s.oauthCertificatePem.trim() === '') {
      need('oauthCertificatePem', `Paste the app's ${FIELD_LABELS.oauthCertificatePem} (PEM), the one uploaded to the app registration.`)
    }
  }
  if (method === 'oauth-custom') {
    if (s.oauthTokenUrl === '') need('oauthTokenUrl', `Enter the provider's ${FIELD_LABELS.oauthTokenUrl}, such as https://login.example.com/oauth2/token.`)
    if (s.oauthClientId === '') need('oauthClientId', `Enter the ${FIELD_LABELS.oauthClientId} the provider gave this client.`)
  }
}

/** DKIM's rules: a selector to publish under, and a domain that DMARC counts for the From Address. */
function dkimRules(s: SettingsFields, ctx: z.RefinementCtx): void {
  if (!s.dkimEnabled) return
  if (s.dkimSelector.trim() === '') {
    ctx.addIssue({ code: 'custom', path: ['dkimSelector'], message: `Enter the ${FIELD_LABELS.dkimSelector}, such as mail2025: ${FIELD_LABELS.dkimEnabled} is on.` })
  }
  const from = addressDomain(s.fromAddress)
  const domain = s.dkimDomain.trim().toLowerCase().replace(/\.$/, '')
  if (from === null) {
    ctx.addIssue({ code: 'custom', path: ['dkimDomain'], message: `The ${FIELD_LABELS.fromAddress} has no domain name to sign for: use an address at a domain whose DNS you manage.` })
  } else if (domain !== '' && isFqdn(domain) && !dkimAligned(domain, from)) {
    ctx.addIssue({
      code: 'custom',
      path: ['dkimDomain'],
      message: `${FIELD_LABELS.dkimDomain} must be ${from} (the ${FIELD_LABELS.fromAddress}’s domain) or a parent of it: receivers count a signature for DMARC only when its domain aligns with the From Address, so one for ${domain} would not help. Leave it blank to sign for ${from}.`,
    })
  }
}

/** Local submission is never an open relay: off loopback it wants AUTH, and STARTTLS so the login is not sent in clear. */
function listenRules(s: SettingsFields, issue: (path: keyof SettingsFields, message: string) => void): void {
  if (!s.listenEnabled) return
  const open = !isLoopback(s.listenAddress)
  const where = `${L.listenAddress} ${s.listenAddress} can be reached from other machines`
  if (open && !s.listenRequireAuth) {
    issue('listenRequireAuth', `${where}: turn on ${L.listenRequireAuth}, or anyone who reaches it could send mail through this console (an open relay). Use 127.0.0.1 for this machine only.`)
  }
  if (open && !s.listenStarttls) {
    issue('listenStarttls', `${where}: turn on ${L.listenStarttls}, so the ${L.listenUsername} and password never cross the network in clear.`)
  }
  if (s.listenRequireAuth && s.listenUsername.trim() === '') {
    issue('listenUsername', `Enter the ${L.listenUsername}: ${L.listenRequireAuth} is on.`)
  }
  if ((s.listenCertFile === '') !== (s.listenKeyFile === '')) {
    issue(s.listenCertFile === '' ? 'listenCertFile' : 'listenKeyFile', `Give both the ${L.listenCertFile} and the ${L.listenKeyFile}, or leave both blank to use a certificate made for this console.`)
  }
}

export const DEFAULT_SETTINGS: SettingsFields = {
  useTls: false,
  hostname: 'localhost.localdomain',
  fromName: 'SMTP Console',
  fromAddress: 'root@localhost.localdomain',
  relayHost: '',
  relayPort: null,
  useSasl: false,
  username: '',
  authMethod: 'password',
  oauthTenantId: '',
  oauthClientId: '',
  oauthCredential: 'secret',
  oauthCertificatePem: '',
  oauthTokenUrl: '',
  oauthScope: '',
  tlsMode: 'auto',
  verifyCertificate: true,
  allowPlainAuth: false,
  caPem: '',
  minBackoffSec: 300,
  maxBackoffSec: 4000,
  maxQueueLifetimeSec: 5 * 86400,
  concurrency: 10,
  connectionTimeoutSec: 30,
  greetingTimeoutSec: 30,
  maxMessageSizeBytes: 10 * 1024 * 1024,
  dkimEnabled: false,
  dkimDomain: '',
  dkimSelector: '',
  logRetentionDays: 90,
  sourceRetentionDays: 7,
  sourceRetentionBytes: 500 * 1024 * 1024,
  publicAddress: '',
  listenEnabled: false,
  listenAddress: '127.0.0.1',
  listenPort: 2525,
  listenRequireAuth: false,
  listenUsername: '',
  listenStarttls: false,
  listenCertFile: '',
  listenKeyFile: '',
  ...ALERT_DEFAULTS,
}

/** A PEM private key of RSA 8192 is under 7 KiB. */
export const DKIM_PEM_MAX = 16 * 1024

const oneLineSecret = (label: string, max: number) =>
  z
    .string()
    .max(max, `${label} is limited to ${max} characters.`)
    .regex(NO_CRLF, `${label} must be on one line (no line breaks).`)
    .refine(hasNoControlChars, noControlMessage(label))
    .nullable()
    .optional()

/** The private key PEM of the Microsoft 365 app's certificate; main checks that it reads and matches the certificate. */
const PRIVATE_KEY_MAX = 16 * 1024
const privateKeySchema = z
  .string()
  .max(PRIVATE_KEY_MAX, `The ${PRIVATE_KEY_LABEL} is limited to 16 KiB.`)
  .refine(
    (v) => v === '' || /-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(v),
    `The ${PRIVATE_KEY_LABEL} must be in PEM form, from -----BEGIN PRIVATE KEY----- (or BEGIN RSA PRIVATE KEY) to its END line.`,
  )
  .refine((v) => !/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(v), `The ${PRIVATE_KEY_LABEL} must not be protected by a passphrase: export it without one (it is stored sealed, like the ${PASSWORD_LABEL}).`)
  .nullable()
  .optional()

const serviceAccountKeySchema = z
  .string()
  .max(PRIVATE_KEY_MAX, `The ${SERVICE_ACCOUNT_KEY_LABEL} is limited to 16 KiB.`)
  .superRefine((v, ctx) => {
    const parsed = v === '' ? null : parseServiceAccountKey(v)
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  })
  .nullable()
  .optional()

/**
 * An update: every field, plus the secrets — the password, the OAuth 2.0 client secret, private key and
 * service account key, and the DKIM private key. Each: undefined keeps the saved one, null (or '') clears it, a string replaces it. The client
 * secret is the one of the Sign-in method being saved (Microsoft 365 and another provider each keep their own).
 */
export const settingsUpdateSchema = z.object({
  settings: settingsSchema,
  password: oneLineSecret(PASSWORD_LABEL, 1024),
  clientSecret: oneLineSecret(CLIENT_SECRET_LABEL, 4096),
  privateKey: privateKeySchema,
  serviceAccountKey: serviceAccountKeySchema,
  /** The DKIM private key: undefined keeps it, null clears it; a key made by dkim.generateKey, or a pasted PEM, replaces it. */
  dkimKey: z
    .union([
      z.object({ generated: z.string().regex(/^[0-9a-f]{32}$/, 'Not a generated key.') }),
      z.object({ pem: z.string().max(DKIM_PEM_MAX, `The ${DKIM_KEY_LABEL} is limited to 16 KiB: paste one private key in PEM form.`) }),
    ])
    .nullable()
    .optional(),
  /** The Submission password, as `password`: undefined keeps it, null clears it, a string replaces it. */
  listenPassword: z
    .string()
    .max(1024, `${LISTEN_PASSWORD_LABEL} is limited to 1024 characters.`)
    .regex(NO_CRLF, `${LISTEN_PASSWORD_LABEL} must be on one line (no line breaks).`)
    .refine(hasNoControlChars, noControlMessage(LISTEN_PASSWORD_LABEL))
    .nullable()
    .optional(),
})
export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>

export interface OAuthSecretsView {
  microsoft: { hasClientSecret: boolean; hasPrivateKey: boolean }
  /** The saved key's service account (its client_email), or null when no key is saved. */
  google: { serviceAccount: string | null }
  custom: { hasClientSecret: boolean }
}

export interface SettingsView {
  settings: SettingsFields
  hasPassword: boolean
  /** Which OAuth 2.0 secrets are saved, per Sign-in method; never the secrets themselves. */
  oauth: OAuthSecretsView
  /** Whether a Submission password is set (local submission's AUTH); never the password. */
  hasListenPassword?: boolean
  /** How the password is protected: the OS keychain, or a key file beside the data (weaker). */
  secretStorage: { kind: 'os' | 'keyfile'; description: string }
  /** The DKIM key, never the private part: whether one is set, its public key, and the record to publish (once a selector is saved). */
  dkim: { key: DkimKeyView | null; record: DkimRecord | null }
}

/**
 * TLS as a connection will use it: Use TLS off upgrades with STARTTLS wherever it is offered (as Postfix's
 * smtp_tls_security_level = may does); on, auto picks implicit TLS on 465 and required STARTTLS elsewhere.
 */
export function effectiveTls(s: Pick<SettingsFields, 'useTls' | 'tlsMode' | 'relayHost' | 'relayPort'>): EffectiveTls {
  if (!s.useTls) return 'opportunistic'
  if (s.relayHost === '') return 'starttls'
  if (s.tlsMode === 'implicit') return 'implicit'
  if (s.tlsMode === 'starttls') return 'starttls'
  return s.relayPort === 465 ? 'implicit' : 'starttls'
}

/** Relay Port as used: the given one, or 465 for implicit TLS, 587 for STARTTLS, 25 without TLS. */
export function effectiveRelayPort(s: Pick<SettingsFields, 'useTls' | 'tlsMode' | 'relayHost' | 'relayPort'>): number {
  if (s.relayPort !== null) return s.relayPort
  const tls = effectiveTls(s)
  if (tls === 'implicit') return 465
  if (tls === 'starttls' && s.relayHost !== '') return 587
  return 25
}

/** Said wherever Use SASL Authorization is on with Use TLS off: the password then depends on the relay's STARTTLS. */
export const SASL_WITHOUT_TLS_NOTE =
  'Use TLS is off: the Password is sent only if the relay offers STARTTLS and, with Verify certificate on, its certificate verifies (give its CA certificate under Advanced). A relay that does not gets no login, and mail waits in the queue. Turn on Use TLS to require encryption.'

/** Whether the saved settings send the password only where the relay offers STARTTLS. */
export function saslNeedsStarttls(s: Pick<SettingsFields, 'useSasl' | 'useTls' | 'allowPlainAuth' | 'relayHost'>): boolean {
  return s.useSasl && !s.useTls && !s.allowPlainAuth && s.relayHost !== ''
}

/** The part of the dashboard's status the settings decide, worded the same for every system. */
export function settingsStatus(s: SettingsFields, directPort: number) {
  return {
    mode: s.relayHost ? ('relay' as const) : ('direct' as const),
    relayHost: s.relayHost,
    relayPort: s.relayHost ? effectiveRelayPort(s) : directPort,
    tls: effectiveTls(s),
    sasl: s.useSasl,
    verifyCertificate: s.verifyCertificate,
    allowPlainAuth: s.allowPlainAuth,
    hostname: s.hostname,
    from: s.fromName ? `${s.fromName} <${s.fromAddress}>` : s.fromAddress,
  }
}
