import { createHash, randomUUID, sign, X509Certificate } from 'node:crypto'
import type { SettingsFields } from '../../../shared/settings.ts'
import { GOOGLE_SCOPE, googleTokenUrl, MICROSOFT_SCOPE, microsoftTokenUrl } from './endpoints.ts'
import { redactSecrets } from './redaction.ts'

// The OAuth 2.0 grants that get an access token with no user present, each
// a form POST to the provider's token endpoint (RFC 6749 4.4, RFC 7523):
// Microsoft's client credentials with a client secret or a certificate-signed
// client assertion, Google's service account JWT bearer grant impersonating
// the Username, and any provider's client credentials. Written on fetch and
// node:crypto: each is a request and at most one RS256 signature, which
// nodemailer's own refresh-token flow does not cover and a provider SDK would
// bring many times the code for.

export interface AccessToken {
  value: string
  /** When the endpoint says the token stops working, ms since the epoch. */
  expiresAt: number
  /** When it was issued (our clock), to renew it ahead of its expiry. */
  issuedAt: number
}

export type GrantConfig =
  | { kind: 'microsoft-secret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'microsoft-certificate'; tenantId: string; clientId: string; certificatePem: string; privateKey: string }
  | { kind: 'google'; clientEmail: string; privateKeyId: string; privateKey: string; user: string }
  | { kind: 'custom'; tokenUrl: string; clientId: string; clientSecret: string; scope: string }

export interface GrantOptions {
  /** SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE: Microsoft's and Google's endpoints on this base instead (tests). */
  endpointOverride?: string | null
  /** How long a token request may take. */
  timeoutMs?: number
  now?: () => number
}

/** Fetches a new access token; throws TokenError. */
export type Grant = (signal?: AbortSignal) => Promise<AccessToken>

/**
 * The token endpoint did not give a token. `refused`: it answered with an
 * OAuth error (wrong secret, unknown app...); `unreachable`: no answer (offline,
 * DNS, refused connection, timeout); `bad-answer`: an answer that is no token.
 * `code` is what the error decoder reads (facts.ts names the same strings).
 */
export class TokenError extends Error {
  override name = 'TokenError'
  readonly code: 'EOAUTHREFUSED' | 'EOAUTHUNREACHABLE'
  readonly kind: 'refused' | 'unreachable' | 'bad-answer'
  /** The endpoint's host, for the admin to recognise. */
  readonly endpoint: string
  readonly status: number | null
  /** The OAuth error code (invalid_client, invalid_grant, unauthorized_client...). */
  readonly error: string | null
  constructor(kind: TokenError['kind'], endpoint: string, message: string, extra: { status?: number | null; error?: string | null } = {}) {
    super(message)
    this.kind = kind
    this.code = kind === 'unreachable' ? 'EOAUTHUNREACHABLE' : 'EOAUTHREFUSED'
    this.endpoint = endpoint
    this.status = extra.status ?? null
    this.error = extra.error ?? null
  }
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')

/** A compact JWS signed with RS256 (RSASSA-PKCS1-v1_5 with SHA-256), as both providers accept. */
export function signJwt(header: Record<string, unknown>, claims: Record<string, unknown>, privateKeyPem: string): string {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`
  return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKeyPem))}`
}

/** Microsoft's certificate thumbprints of the assertion header: SHA-1 (x5t) and SHA-256 (x5t#S256) of the DER. */
export function thumbprints(certificatePem: string): { x5t: string; 'x5t#S256': string } {
  const der = new X509Certificate(certificatePem).raw
  return { x5t: b64url(createHash('sha1').update(der).digest()), 'x5t#S256': b64url(createHash('sha256').update(der).digest()) }
}

interface Request {
  url: string
  body: URLSearchParams
  headers?: Record<string, string>
  /** What must never appear in an error message built from the answer. */
  secrets: string[]
}

/** The request each grant sends: built anew for every token, so each assertion is fresh. */
export function tokenRequest(config: GrantConfig, options: GrantOptions = {}): Request {
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000)
  switch (config.kind) {
    case 'microsoft-secret':
      return {
        url: microsoftTokenUrl(config.tenantId, options.endpointOverride),
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret, scope: MICROSOFT_SCOPE }),
        secrets: [config.clientSecret],
      }
    case 'microsoft-certificate': {
      const url = microsoftTokenUrl(config.tenantId, options.endpointOverride)
      const assertion = signJwt(
        thumbprints(config.certificatePem),
        { aud: url, iss: config.clientId, sub: config.clientId, jti: randomUUID(), nbf: nowSec, iat: nowSec, exp: nowSec + 600 },
        config.privateKey,
      )
      return {
        url,
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: config.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
          scope: MICROSOFT_SCOPE,
        }),
        secrets: [assertion],
      }
    }
    case 'google': {
      const url = googleTokenUrl(options.endpointOverride)
      const assertion = signJwt(
        config.privateKeyId ? { kid: config.privateKeyId } : {},
        { iss: config.clientEmail, sub: config.user, scope: GOOGLE_SCOPE, aud: url, iat: nowSec, exp: nowSec + 3600 },
        config.privateKey,
      )
      return { url, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }), secrets: [assertion] }
    }
    case 'custom': {
      // HTTP Basic, the client authentication every RFC 6749 server must support, with the form encoding it asks for (2.3.1).
      const basic = Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64')
      const body = new URLSearchParams({ grant_type: 'client_credentials' })
      if (config.scope) body.set('scope', config.scope)
      return { url: config.tokenUrl, body, headers: { authorization: `Basic ${basic}` }, secrets: [config.clientSecret, basic] }
    }
  }
}

/** The first useful words of an endpoint's error description (Microsoft adds trace and correlation ids on further lines). */
function describe(description: unknown): string {
  if (typeof description !== 'string') return ''
  const first = description.split(/\r?\n/)[0]!.trim()
  return first.length > 400 ? `${first.slice(0, 397)}...` : first
}

/** What a failed fetch says about the network: the system's code (ECONNREFUSED, ENOTFOUND...) or a timeout. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError') return 'no answer in time'
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)
}

/** Asks the endpoint for a token once; throws TokenError. */
export async function requestToken(config: GrantConfig, options: GrantOptions = {}, signal?: AbortSignal): Promise<AccessToken> {
  const now = options.now ?? Date.now
  const req = tokenRequest(config, options)
  const host = new URL(req.url).host
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
  let res: Response
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...req.headers },
      body: req.body,
      // A redirect would carry the secret to another address: the endpoint must answer itself.
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
  } catch (err) {
    if (signal?.aborted) throw err
    throw new TokenError('unreachable', host, `The token endpoint ${host} could not be reached (${networkReason(err)}).`)
  }
  return readAnswer(res, host, (s) => redactSecrets(s, req.secrets), now())
}

/** The token in the endpoint's answer, or the TokenError it amounts to; `clean` takes the request's secrets out of any text. */
async function readAnswer(res: Response, host: string, clean: (s: string) => string, issuedAt: number): Promise<AccessToken> {
  const text = await res.text().catch(() => '')
  let json: Record<string, unknown> | null = null
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>
  } catch {
    // Not JSON: said below with the status.
  }
  if (!res.ok || !json || typeof json.access_token !== 'string' || json.access_token === '') {
    if (json && typeof json.error === 'string') {
      const error = clean(json.error).slice(0, 100)
      const description = clean(describe(json.error_description))
      throw new TokenError('refused', host, `The token endpoint ${host} refused the request (HTTP ${res.status}): ${error}${description ? `: ${description}` : ''}`, { status: res.status, error })
    }
    // 5xx and 429 are the endpoint's own trouble, for now: the message waits like it does for an unreachable one.
    const kind = res.status >= 500 || res.status === 429 ? 'unreachable' : 'bad-answer'
    const what = res.status >= 300 && res.status < 400 ? `a redirect to ${res.headers.get('location') ?? 'elsewhere'}` : res.ok ? 'no access token' : `HTTP ${res.status} ${res.statusText}`.trim()
    throw new TokenError(kind, host, `The token endpoint ${host} answered with ${clean(what)}, not an access token.`, { status: res.status })
  }
  const type = typeof json.token_type === 'string' ? json.token_type : 'Bearer'
  if (type.toLowerCase() !== 'bearer') throw new TokenError('bad-answer', host, `The token endpoint ${host} gave a token of type ${clean(type)}; SMTP takes only Bearer tokens.`, { status: res.status })
  const lifetime = Number(json.expires_in)
  // Without expires_in (RFC 6749 only recommends it) the token is taken for an hour, the providers' usual lifetime.
  return { value: json.access_token, issuedAt, expiresAt: issuedAt + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 3600) * 1000 }
}

/** A grant bound to its configuration. */
export function makeGrant(config: GrantConfig, options: GrantOptions = {}): Grant {
  return (signal) => requestToken(config, options, signal)
}

/** The saved settings' Sign-in method as a grant configuration; throws, in the admin's words, when a secret is missing. */
export function grantConfigFor(
  s: Pick<SettingsFields, 'authMethod' | 'username' | 'oauthTenantId' | 'oauthClientId' | 'oauthCredential' | 'oauthCertificatePem' | 'oauthTokenUrl' | 'oauthScope'>,
  secrets: { clientSecret: string | null; privateKey: string | null; serviceAccount: { clientEmail: string; privateKeyId: string; privateKey: string } | null },
): GrantConfig {
  const missing = (label: string) => new Error(`No ${label} is saved for the Sign-in method: enter it in Edit Settings.`)
  switch (s.authMethod) {
    case 'oauth-microsoft':
      if (s.oauthCredential === 'certificate') {
        if (!secrets.privateKey) throw missing('Private key')
        return { kind: 'microsoft-certificate', tenantId: s.oauthTenantId, clientId: s.oauthClientId, certificatePem: s.oauthCertificatePem, privateKey: secrets.privateKey }
      }
      if (!secrets.clientSecret) throw missing('Client secret')
      return { kind: 'microsoft-secret', tenantId: s.oauthTenantId, clientId: s.oauthClientId, clientSecret: secrets.clientSecret }
    case 'oauth-google':
      if (!secrets.serviceAccount) throw missing('Service account key (JSON)')
      return { kind: 'google', ...secrets.serviceAccount, user: s.username }
    case 'oauth-custom':
      if (!secrets.clientSecret) throw missing('Client secret')
      return { kind: 'custom', tokenUrl: s.oauthTokenUrl, clientId: s.oauthClientId, clientSecret: secrets.clientSecret, scope: s.oauthScope }
    case 'password':
      throw new Error('The Sign-in method is Password: there is no token to fetch.')
  }
}
