// Names the likely cause of a failed delivery and what the admin can do
// about it, and decides, Postfix-like, whether the message waits or bounces.
// Matches the errors nodemailer and Node really produce: nodemailer 10 puts
// its own code in `code` (ESOCKET, EDNS, ...) and the system's in `originalCode`.

import type { Explanation } from '../../../shared/types.ts'
import { enhancedCodeOf, phaseOfCommand, type Phase } from './facts.ts'
import { CATALOGUE, isCauseId, type CauseEntry, type CauseId, type Disposition, type Particulars } from './catalogue.ts'

export type { CauseId, Disposition } from './catalogue.ts'

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

export interface Decoded extends Explanation {
  cause: CauseId
  disposition: Disposition
  dsn: string | null
}

/** The code of the session's own refusal to log in without TLS (no server said anything). */
export const NO_TLS_FOR_AUTH = 'ENOTLSAUTH'

/** Everything the rules look at, read once. */
interface Facts {
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

const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN'])
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG', 'INVALID_CA',
])
const CERT_OTHER = new Set([
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_REJECTED', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED',
])
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL'])
/** Answers meaning the name does not exist (or holds no such record), as opposed to DNS not answering. */
const DNS_NO_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'NXDOMAIN'])
const DNS_TEMPORARY = new Set([
  'EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL', 'ECANCELLED', 'ECONNREFUSED', 'EREFUSED', 'EBADRESP', 'EDESTRUCTION',
  'EFORMERR', 'EAI_FAIL',
])
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'])

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

function readFacts(raw: RawFailure, ctx: FailureContext): Facts {
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

/** A test on the enhanced code's subject and detail, whatever its class: `x(f, '7.8')`. */
function x(f: Facts, ...details: string[]): boolean {
  return f.enhanced !== null && details.includes(f.enhanced.slice(2))
}

function has(f: Facts, re: RegExp): boolean {
  return re.test(f.text)
}

function greetingTimedOut(f: Facts): boolean {
  return (
    f.raw.timeoutType === 'GREETING_TIMEOUT' ||
    has(f, /greeting never received/) ||
    (f.phase === 'greeting' && f.code === 'ETIMEDOUT' && f.raw.timeoutType === undefined)
  )
}

/** The server wants a login first (530 and kin). */
function authRequired(f: Facts): boolean {
  return (
    f.reply !== null &&
    (f.reply === 530 ||
      x(f, '7.57') ||
      has(f, /auth(entication)? required|not authenticated|must (be )?authenticate|authenticate first|sender address rejected: not logged in/))
  )
}

// nodemailer reports every socket-level failure with command CONN, so a caller
// deriving the phase from the command says 'connect' for these too.
function closedBeforeGreeting(f: Facts): boolean {
  return (
    (f.phase === 'greeting' || ((f.phase === 'unknown' || f.phase === 'connect') && f.raw.command === 'CONN')) &&
    f.reply === null &&
    (f.code === 'ECONNECTION' || LOST.has(f.sys) || has(f, /connection closed|socket hang up/))
  )
}

/**
 * The TLS we tried is not the TLS the port speaks: plain (or STARTTLS) against
 * implicit TLS. A silent server looks the same from the client's side, so a
 * greeting timeout counts only when the port answered a TLS handshake after it
 * (or, not asked, when it is 465, implicit TLS's own port).
 */
function plainAgainstImplicit(f: Facts): boolean {
  if (f.ctx.tls === 'implicit' || f.ctx.direct) return false
  if (greetingTimedOut(f)) return f.ctx.answersTls ?? f.ctx.port === 465
  return f.ctx.port === 465 && closedBeforeGreeting(f)
}

type Rule = [cause: CauseId, test: (f: Facts) => boolean]

// First match wins. Local and transport-level causes come before the
// server's words, and specific words before general reply classes.
const RULES: Rule[] = [
  ['message-too-big', (f) => f.code === 'EMESSAGE' && f.reply === null && has(f, /message size larger than allowed/)],
  ['auth-credentials-missing', (f) => f.code === 'EAUTH' && has(f, /missing credentials for/)],
  ['auth-tls-unavailable', (f) => f.code === NO_TLS_FOR_AUTH],
  // nodemailer's own refusal to write an address into MAIL FROM or RCPT TO: no retry can change it.
  ['address-unsendable', (f) => f.code === 'EENVELOPE' && f.reply === null && has(f, /invalid (sender|recipient) "/)],

  ['tls-wrong-version', (f) =>
    f.sys === 'ERR_SSL_WRONG_VERSION_NUMBER' || f.sys === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    (f.reply === null && has(f, /wrong version number|packet length too long/))],
  ['cert-self-signed', (f) => SELF_SIGNED.has(f.sys) || (f.reply === null && has(f, /self[- ]signed certificate/))],
  ['cert-untrusted', (f) =>
    UNTRUSTED.has(f.sys) ||
    (f.reply === null && has(f, /unable to verify the first certificate|unable to get (local )?issuer certificate/))],
  ['cert-expired', (f) => f.sys === 'CERT_HAS_EXPIRED' || (f.reply === null && has(f, /certificate has expired/))],
  ['cert-not-yet-valid', (f) => f.sys === 'CERT_NOT_YET_VALID' || (f.reply === null && has(f, /certificate is not yet valid/))],
  ['cert-name-mismatch', (f) =>
    f.sys === 'ERR_TLS_CERT_ALTNAME_INVALID' || (f.reply === null && has(f, /does not match certificate's altnames/))],
  ['cert-invalid', (f) => CERT_OTHER.has(f.sys)],

  ['plain-to-implicit-tls', plainAgainstImplicit],
  ['greeting-timeout', greetingTimedOut],

  // nodemailer asked for STARTTLS (required) and the server said no, or has no EHLO at all.
  ['starttls-not-offered', (f) =>
    (f.code === 'ETLS' && /^STARTTLS/i.test(f.raw.command ?? '') && f.reply !== null) ||
    has(f, /helo does not support required starttls|tls is required, but was not offered/)],
  ['tls-handshake-failed', (f) =>
    f.code === 'ETLS' || f.sys.startsWith('ERR_SSL_') || f.raw.timeoutType === 'UPGRADE_TIMEOUT' ||
    (f.reply === null && has(f, /ssl routines|handshake failure|before secure tls connection was established|tls handshake timed out/))],

  // ── the server's words ──
  ['auth-needs-tls', (f) =>
    f.reply === 538 || x(f, '7.11') ||
    (f.reply !== null && f.phase === 'auth' && has(f, /starttls|encryption required|tls required|requires? (an? )?(secure|encrypted)/))],
  ['starttls-required', (f) =>
    f.reply !== null &&
    has(f, /must issue a starttls|starttls (command )?(first|required)|(tls|encryption) required|requires? (an? )?(secure|encrypted|tls) (connection|channel)|not accepted over unencrypted/)],
  // 534 and x.7.9 ("mechanism too weak") belong to AUTH (RFC 4954); elsewhere 5.7.9 is some other policy.
  ['auth-app-password-required', (f) =>
    f.reply === 534 ||
    (f.phase === 'auth' && f.reply !== null &&
      (x(f, '7.9', '7.14') || has(f, /application-specific password|app password|web ?browser|weblogin|log ?in via your web/)))],
  ['auth-failed', (f) =>
    f.reply === 535 || x(f, '7.8') ||
    (f.phase === 'auth' && f.reply !== null && f.reply >= 500 &&
      has(f, /authentication (failed|unsuccessful|credentials invalid)|invalid (credentials|username or password)|username and password not accepted|bad (username|credentials)/))],
  ['auth-temporary', (f) => f.phase === 'auth' && f.reply !== null && f.reply < 500],
  // Configured to log in, yet asked to: the server did not offer AUTH, so no login was tried.
  ['auth-not-offered', (f) =>
    (f.phase === 'auth' && f.reply !== null && [500, 502, 503, 504].includes(f.reply)) ||
    has(f, /authentication not (enabled|available|supported)|does not (support|advertise|offer) auth|no (supported )?auth(entication)? mechanisms?/) ||
    (f.ctx.saslConfigured === true && authRequired(f))],
  ['auth-required', authRequired],

  ['relay-denied', (f) =>
    f.reply !== null &&
    (x(f, '7.54') ||
      has(f, /relay(ing)? (access )?(is )?(denied|not permitted|prohibited|not allowed)|unable to relay|not permitted to relay|we do not relay|relay not permitted|no relaying/))],
  ['sender-not-allowed', (f) =>
    f.reply !== null &&
    (x(f, '7.60') ||
      has(f, /not owned by user|not (allowed|authorized|permitted) to send (as|from|on behalf)|send ?as (permission|denied)|sender address rejected: not owned/))],
  ['spf-failed', (f) => f.reply !== null && (x(f, '7.23', '7.24') || has(f, /\bspf\b|sender policy framework/))],
  ['dmarc-failed', (f) => f.reply !== null && (x(f, '7.26') || has(f, /\bdmarc\b|sender is unauthenticated/))],
  ['ptr-missing', (f) =>
    f.reply !== null &&
    (x(f, '7.25') ||
      has(f, /reverse dns|reverse (hostname|lookup|mapping|record)|\bptr\b|\brdns\b|cannot find your (reverse )?hostname|no reverse/))],
  ['helo-rejected', (f) =>
    f.reply !== null &&
    has(f, /hel[lo] command rejected|(helo|ehlo)[^.]*\b(rejected|invalid|not (found|valid|allowed))|fully[- ]qualified (host|domain)|bad hostname syntax/)],
  ['ip-blocklisted', (f) =>
    f.reply !== null &&
    (x(f, '7.606', '7.511') ||
      has(f, /blocked using|block ?list|black ?list|listed (at|in|on|by)|spamhaus|barracuda|spamcop|sorbs|\b(rbl|dnsbl)\b|reputation|banned sending ip/))],
  ['content-rejected', (f) =>
    f.reply !== null && has(f, /\bspam\b|\bjunk\b|virus|malware|content (rejected|filter)|suspicious|phishing/)],
  ['ip-blocklisted', (f) => f.reply !== null && f.reply >= 500 && x(f, '7.1') && has(f, /\bblocked\b|\bbanned\b/)],
  ['too-many-recipients', (f) => f.reply !== null && (x(f, '5.3') || has(f, /too many recipients/))],
  ['rate-limited', (f) =>
    f.reply !== null &&
    (x(f, '7.28', '4.5') ||
      has(f, /rate limit|sending (quota|limit)|too many (messages|mails|emails|connections|concurrent)|throttl|exceeded the (rate|limit)|unusual rate/))],
  // "Try again later" is what greylisting says, unless the reply names a policy instead.
  ['greylisted', (f) =>
    f.reply !== null && f.reply < 500 &&
    (has(f, /gr[ae]y-?list/) ||
      (!has(f, /\bpolic(y|ies)\b/) && has(f, /try again later|please (try|retry)( again)? later|temporarily (deferred|rejected|blocked)/)))],
  ['mailbox-full', (f) =>
    f.reply !== null && (x(f, '2.2') || has(f, /mailbox (is )?full|over ?quota|quota exceeded|exceeded (storage|quota)|insufficient (system )?storage/))],
  ['message-too-big', (f) =>
    f.reply !== null &&
    (x(f, '3.4', '2.3') || f.reply === 552 || has(f, /message (size )?(exceeds|too (big|large))|size (limit|exceeds)|too large/))],
  ['user-unknown', (f) =>
    f.reply !== null && f.reply >= 500 &&
    (x(f, '1.1', '1.10', '1.6') ||
      has(f, /user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|mailbox (unavailable|not found)|invalid (mailbox|recipient)|recipient (address )?rejected|unrouteable address|undeliverable address/))],
  ['address-invalid', (f) =>
    f.reply !== null && (x(f, '1.3', '1.7') || has(f, /bad (recipient |sender )?address syntax|syntax error in (the )?address|invalid address/))],
  ['server-unavailable', (f) =>
    f.reply === 421 || x(f, '3.2') || (f.reply !== null && has(f, /service (not|un)available|shutting down/))],
  // A 4xx for policy (x.7.x is the security and policy class of RFC 3463) that no rule above named.
  ['policy-deferred', (f) => f.reply !== null && f.reply < 500 && (f.enhanced?.startsWith('4.7.') === true || has(f, /\bpolic(y|ies)\b/))],
  // RFC 5321's 451: "local error in processing", the server's own trouble, whatever words come with it.
  ['server-temporary', (f) => f.reply === 451],
  ['not-smtp-server', (f) => f.reply === null && f.code === 'EPROTOCOL' && has(f, /invalid greeting/)],

  // ── network and DNS ──
  ['recipient-domain-not-found', (f) => f.ctx.direct === true && f.phase === 'dns' && DNS_NO_NAME.has(f.sys)],
  ['relay-host-not-found', (f) => f.ctx.direct !== true && f.phase === 'dns' && DNS_NO_NAME.has(f.sys)],
  // The MX hosts were found but none has an address; their lookups may have failed only for now.
  ['mx-no-address', (f) => f.sys === 'ENOADDR' || has(f, /no address found for the mail hosts/)],
  ['dns-temporary', (f) =>
    f.phase === 'dns' && (DNS_TEMPORARY.has(f.sys) || f.code === 'EDNS' || has(f, /dns lookup for .* timed out/))],
  ['network-unreachable', (f) => UNREACHABLE.has(f.sys)],
  ['connection-refused', (f) => f.sys === 'ECONNREFUSED'],
  ['connection-timeout', (f) =>
    f.raw.timeoutType === 'CONNECT_TIMEOUT' ||
    (f.raw.timeoutType === undefined && (f.sys === 'ETIMEDOUT' || (f.code === 'ETIMEDOUT' && f.phase === 'connect'))) ||
    (f.reply === null && has(f, /connection timeout|connect etimedout/))],
  ['server-timeout', (f) => f.raw.timeoutType === 'SOCKET_TIMEOUT' || (f.code === 'ETIMEDOUT' && f.reply === null)],
  ['connection-lost', (f) =>
    f.reply === null &&
    (LOST.has(f.sys) || f.code === 'ECONNECTION' || f.code === 'ESOCKET' || has(f, /connection closed|socket hang up|server closed the connection/))],
  ['protocol-error', (f) => f.reply === null && f.code === 'EPROTOCOL'],
]

function classify(f: Facts): CauseId {
  for (const [cause, test] of RULES) if (test(f)) return cause
  if (f.reply !== null) return f.reply >= 500 ? 'unknown-permanent' : 'unknown-temporary'
  return 'unknown-temporary'
}

function dispositionOf(entry: CauseEntry, f: Facts): Disposition {
  if (entry.disposition !== 'reply') return entry.disposition
  // A reply-driven cause without a reply (matched on words alone) waits rather than loses mail.
  return f.reply !== null && f.reply >= 500 ? 'bounce' : 'defer'
}

/** The server's enhanced code, else (like Postfix) the reply class with .0.0, else the cause's own; always of the disposition's class. */
function failureDsn(entry: CauseEntry, f: Facts, disposition: Disposition): string {
  let dsn: string
  if (f.enhanced) dsn = f.enhanced
  else if (entry.disposition === 'reply' && f.reply !== null) dsn = `${Math.floor(f.reply / 100)}.0.0`
  else dsn = entry.dsn
  const klass = disposition === 'bounce' ? '5' : '4'
  return klass + dsn.slice(1)
}

function firstLine(s: string | undefined): string | undefined {
  const line = s?.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '')
  if (!line) return undefined
  return line.length > 300 ? `${line.slice(0, 297)}...` : line
}

/** Words from the error itself that make the explanation concrete. */
function detailOf(cause: CauseId, raw: RawFailure): string | undefined {
  if (cause === 'cert-name-mismatch') {
    const names = /altnames:\s*(.+)$/i.exec(raw.reason ?? raw.message)?.[1]?.trim()
    if (names) return `it names ${names.replace(/\b(DNS|IP Address):/g, '').replace(/\s*,\s*/g, ', ')}`
    return undefined
  }
  if (cause === 'message-too-big') {
    const limit = /(?:larger than allowed|maximum message size|size limit[^\d]*)\s*(\d+)/i.exec(`${raw.response ?? ''} ${raw.message}`)?.[1]
    return limit ? `limit ${limit} bytes` : undefined
  }
  if (cause === 'tls-handshake-failed' || cause === 'cert-invalid') {
    if (raw.timeoutType === 'UPGRADE_TIMEOUT' || /tls handshake timed out/i.test(raw.message)) return 'it did not finish in time'
    const reason = raw.reason ?? /:([a-z][a-z0-9 ]+):\.\.\//i.exec(raw.message)?.[1] ?? raw.originalCode
    return reason && !/^E[A-Z]+$/.test(reason) ? reason : firstLine(raw.message)
  }
  return undefined
}

function particulars(cause: CauseId, f: Facts): Particulars {
  const p: Particulars = {}
  const { ctx, raw } = f
  if (ctx.host !== undefined) p.host = ctx.host
  if (ctx.port !== undefined) p.port = ctx.port
  if (ctx.tls !== undefined) p.tls = ctx.tls
  if (ctx.direct !== undefined) p.direct = ctx.direct
  if (ctx.saslConfigured !== undefined) p.saslConfigured = ctx.saslConfigured
  if (f.phase !== 'unknown') p.phase = f.phase
  const reply = firstLine(raw.response)
  if (reply) p.reply = reply
  else {
    const message = firstLine(raw.message)
    if (message) p.message = message
  }
  const detail = detailOf(cause, raw)
  if (detail) p.detail = detail
  return p
}

/** Explains one failed delivery attempt and says whether the message waits (defer) or returns to the sender (bounce). */
export function decodeFailure(raw: RawFailure | Error, ctx: FailureContext = {}): Decoded {
  const facts = readFacts(toRawFailure(raw), ctx)
  const cause = classify(facts)
  const entry: CauseEntry = CATALOGUE[cause]
  const p = particulars(cause, facts)
  const disposition = dispositionOf(entry, facts)
  return { cause, summary: entry.summary(p), fix: entry.fix(p), disposition, dsn: failureDsn(entry, facts, disposition) }
}

/** The catalogue's general wording for a stored cause id, e.g. when reading old log rows. */
export function explainCause(cause: string): Explanation | null {
  if (!isCauseId(cause)) return null
  const entry: CauseEntry = CATALOGUE[cause]
  return { cause, summary: entry.summary({}), fix: entry.fix({}) }
}

/** Every cause id the decoder can give. */
export const CAUSES = Object.keys(CATALOGUE) as readonly CauseId[]
