import type { CauseId } from './catalogue.ts'
import { NO_TLS_FOR_AUTH, OAUTH_REFUSED, OAUTH_UNREACHABLE, type Facts } from './facts.ts'

// The ordered rules that name the cause of a failure from its facts.

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

/** A token endpoint's refusal (nodemailer keeps the endpoint's code as originalCode), with the words that name it. */
function tokenRefused(f: Facts, re?: RegExp): boolean {
  return (f.sys === OAUTH_REFUSED || f.code === OAUTH_REFUSED) && (!re || has(f, re))
}

/** The relay's refusal of a login made with an access token. */
function tokenLoginRefused(f: Facts): boolean {
  return f.ctx.signIn === 'oauth' && f.phase === 'auth' && f.reply !== null && f.reply >= 500
}

// First match wins. Local and transport-level causes come before the
// server's words, and specific words before general reply classes.
const RULES: Rule[] = [
  // The token endpoint, before any network rule: its "could not be reached" is not the relay's.
  ['oauth-endpoint-unreachable', (f) => f.sys === OAUTH_UNREACHABLE || f.code === OAUTH_UNREACHABLE],
  ['oauth-secret-invalid', (f) => tokenRefused(f, /\baadsts7000215\b/)],
  ['oauth-secret-expired', (f) => tokenRefused(f, /\baadsts7000222\b/)],
  ['oauth-app-unknown', (f) => tokenRefused(f, /\baadsts700016\b/)],
  ['oauth-google-unauthorized', (f) => tokenRefused(f, /\): unauthorized_client\b/) && !has(f, /\baadsts\d+/)],
  ['oauth-google-invalid-grant', (f) => tokenRefused(f, /\): invalid_grant\b/) && !has(f, /\baadsts\d+/)],
  ['oauth-client-refused', (f) => tokenRefused(f)],
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
  // Microsoft 365's answers to a sign-in: SMTP AUTH turned off (any method), the app not allowed to send as the mailbox.
  ['smtp-auth-disabled', (f) => f.reply !== null && f.reply >= 500 && x(f, '7.139')],
  ['oauth-send-as-denied', (f) => tokenLoginRefused(f) && x(f, '7.3')],
  ['oauth-token-refused', tokenLoginRefused],
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

export function classify(f: Facts): CauseId {
  for (const [cause, test] of RULES) if (test(f)) return cause
  if (f.reply !== null) return f.reply >= 500 ? 'unknown-permanent' : 'unknown-temporary'
  return 'unknown-temporary'
}
