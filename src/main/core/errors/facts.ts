// What a failure says about itself, read once from the errors nodemailer and
// Node really produce: nodemailer 10 puts its own code in `code` (ESOCKET,
// EDNS, ...) and the system's in `originalCode`. Read the same way by the
// session (for what it logs) and by the decoder (for the cause it names).

/** Where in the SMTP exchange a failure happened. */
export type Phase = 'dns' | 'connect' | 'greeting' | 'tls' | 'ehlo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'unknown'

/**
 * The phase of an SMTP command nodemailer names in a failure, by its first word.
 * Its pseudo-command 'CONN' (any socket failure) is left to the caller: only the
 * session knows whether the message was under way.
 */
const PHASE_OF_COMMAND: [RegExp, Phase][] = [
  [/^(EHLO|HELO|LHLO)/i, 'ehlo'],
  [/^STARTTLS/i, 'tls'],
  [/^AUTH/i, 'auth'],
  [/^MAIL/i, 'mail'],
  [/^RCPT/i, 'rcpt'],
  [/^DATA/i, 'data'],
]

export function phaseOfCommand(command: string | undefined): Phase {
  if (!command) return 'unknown'
  return PHASE_OF_COMMAND.find(([re]) => re.test(command))?.[1] ?? 'unknown'
}

const ENHANCED = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})(?=[\s,;:]|$)/m

/** The RFC 3463 enhanced status code a reply carries (e.g. 2.0.0 in "250 2.0.0 Ok"), or null. */
export function enhancedCodeOf(reply: string | undefined): string | null {
  return reply ? (ENHANCED.exec(reply.trim())?.[1] ?? null) : null
}

export interface FailureContext {
  phase?: Phase
  /** Server name. */
  host?: string
  port?: number
  /** What we tried. */
  tls?: 'none' | 'starttls' | 'implicit' | 'opportunistic'
  /** Direct-to-MX delivery (no relay). */
  direct?: boolean
  /** SASL username/password set. */
  saslConfigured?: boolean
  /** How the session signs in: the Password, or an OAuth 2.0 access token (XOAUTH2). */
  signIn?: 'password' | 'oauth'
  /** After a greeting timeout: whether the same port then answered a TLS handshake (implicit TLS). */
  answersTls?: boolean
}

export interface RawFailure {
  message: string
  code?: string
  responseCode?: number
  response?: string
  command?: string
  /** The system or TLS code nodemailer replaced with its own (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
  originalCode?: string
  /** Which of nodemailer's timers fired: CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT. */
  timeoutType?: string
  syscall?: string
  /** Node's own detail, e.g. the names a certificate lists. */
  reason?: string
}

/** The codes of a token endpoint that refused (an OAuth error) or could not be reached (oauth/grants.ts TokenError). */
export const OAUTH_REFUSED = 'EOAUTHREFUSED'
export const OAUTH_UNREACHABLE = 'EOAUTHUNREACHABLE'

/** The code of the session's own refusal to log in without TLS (no server said anything). */
export const NO_TLS_FOR_AUTH = 'ENOTLSAUTH'

/** Everything the rules look at, read once. */
export interface Facts {
  raw: RawFailure
  ctx: FailureContext
  /** Nodemailer's code, or Node's when it came straight from Node. */
  code: string
  /** The system/TLS code: originalCode, or code when it is not one of nodemailer's. */
  sys: string
  /** A 4xx or 5xx reply code, when the server answered. */
  reply: number | null
  enhanced: string | null
  /** Reply (or message) text, lower case, for matching words. */
  text: string
  phase: Phase
}

const NODEMAILER_CODES = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EREQUIRETLS', 'EPROTOCOL', 'EENVELOPE', 'EMESSAGE',
  'ESTREAM', 'EABORT', 'EAUTH', 'ENOAUTH', 'EOAUTH2', 'EMAXLIMIT', 'EMAXRECIPIENTS', 'ECONFIG', 'EPROXY',
])

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Copies what the decoder reads from anything thrown: nodemailer and Node errors, AggregateError, strings. */
export function toRawFailure(err: unknown): RawFailure {
  if (err === null || err === undefined) return { message: 'Unknown error' }
  if (typeof err !== 'object') return { message: String(err) }
  const e = err as Record<string, unknown>
  let message = str(e.message)
  // Node's happy-eyeballs connect fails with an AggregateError whose own message is empty.
  if (!message && Array.isArray(e.errors)) {
    message = e.errors.map((x) => str((x as { message?: unknown } | null)?.message)).filter(Boolean).join('; ')
  }
  const raw: RawFailure = { message: message ?? String(err) }
  const code = str(e.code)
  if (code) raw.code = code
  if (typeof e.responseCode === 'number' && Number.isFinite(e.responseCode)) raw.responseCode = e.responseCode
  const response = str(e.response)
  if (response) raw.response = response
  const command = str(e.command)
  if (command) raw.command = command
  const originalCode = str(e.originalCode)
  if (originalCode) raw.originalCode = originalCode
  const timeoutType = str(e.timeoutType)
  if (timeoutType) raw.timeoutType = timeoutType
  const syscall = str(e.syscall)
  if (syscall) raw.syscall = syscall
  const reason = str(e.reason)
  if (reason) raw.reason = reason
  return raw
}

export function readFacts(raw: RawFailure, ctx: FailureContext): Facts {
  const code = raw.code ?? ''
  const sys = raw.originalCode ?? (NODEMAILER_CODES.has(code) ? '' : code)
  let reply: number | null = null
  const fromResponse = raw.response ? Number(/^\d{3}/.exec(raw.response.trim())?.[0]) : NaN
  const candidate = raw.responseCode ?? (Number.isFinite(fromResponse) ? fromResponse : null)
  if (candidate !== null && candidate >= 400 && candidate < 600) reply = candidate
  const enhanced = enhancedCodeOf(raw.response)
  const text = `${raw.response ?? ''} ${raw.message} ${raw.reason ?? ''}`.toLowerCase()
  let phase: Phase = ctx.phase ?? 'unknown'
  if (phase === 'unknown') phase = phaseOfCommand(raw.command)
  if (phase === 'unknown' && code === 'EDNS') phase = 'dns'
  if (phase === 'unknown' && raw.syscall && /^(getaddrinfo|query|getHostByAddr)/.test(raw.syscall)) phase = 'dns'
  return { raw, ctx, code, sys, reply, enhanced, text, phase }
}
