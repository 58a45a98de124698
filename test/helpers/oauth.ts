import { createHash, randomBytes, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server'

// A real OAuth 2.0 token endpoint on loopback, speaking the grants the console
// uses: Microsoft's client credentials (secret, or a client assertion whose
// RS256 signature is checked against the registered certificate), Google's
// service account JWT bearer grant, and plain client credentials. It answers
// errors as the providers do (AADSTS codes, invalid_grant...), keeps the tokens
// it issued with their expiry, and decides an SMTP server's XOAUTH2 logins.

export interface TokenEndpointOptions {
  tenantId: string
  clientId: string
  /** The registered client secret (Microsoft and the custom grant). */
  clientSecret?: string
  /** The registered certificate (PEM) whose key signs Microsoft client assertions. */
  certificatePem?: string
  /** Google: the service account and its public key, and the users it may impersonate. */
  google?: { clientEmail: string; publicKey: KeyObject; users: string[] }
  /** Token lifetime in seconds. */
  expiresIn?: number
  now?: () => number
}

export interface Issued {
  token: string
  expiresAt: number
  /** Who the token is for: the Username impersonated (Google), or the app (Microsoft, custom). */
  subject: string
  revoked: boolean
}

export interface TokenEndpoint {
  /** Base URL, the value for SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE. */
  base: string
  port: number
  issued: Issued[]
  /** Every request's path and form body, as received. */
  requests: { path: string; body: string; authorization: string | undefined }[]
  options: TokenEndpointOptions
  /** Whether a bearer token is one this endpoint issued, not revoked and not expired. */
  valid(token: string): boolean
  /** Stops listening (the endpoint is down: connections are refused) until `start`. */
  stop(): Promise<void>
  /** Listens again on the same port, with the tokens it issued before. */
  start(): Promise<void>
  close(): Promise<void>
}

const b64urlJson = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>

/** Checks an RS256 JWT against a public key; returns its header and claims, or why it is refused. */
function checkJwt(jwt: string, key: KeyObject): { header: Record<string, unknown>; claims: Record<string, unknown> } | string {
  const parts = jwt.split('.')
  if (parts.length !== 3) return 'not a JWT'
  const header = b64urlJson(parts[0]!)
  if (header.alg !== 'RS256') return `alg ${String(header.alg)}`
  const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'))
  return ok ? { header, claims: b64urlJson(parts[1]!) } : 'signature'
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const now = options.now ?? Date.now
  const issued: Issued[] = []
  const requests: TokenEndpoint['requests'] = []
  let base = ''

  const microsoftError = (status: number, code: number, text: string) => ({
    status,
    body: { error: status === 401 ? 'invalid_client' : 'unauthorized_client', error_description: `AADSTS${code}: ${text}\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-01-01 00:00:00Z`, error_codes: [code] },
  })
  const issue = (subject: string) => {
    const token = `at-${randomBytes(24).toString('base64url')}`
    const expiresIn = options.expiresIn ?? 3600
    issued.push({ token, expiresAt: now() + expiresIn * 1000, subject, revoked: false })
    return { status: 200, body: { token_type: 'Bearer', expires_in: expiresIn, access_token: token } }
  }

  function microsoft(path: string, form: URLSearchParams): { status: number; body: Record<string, unknown> } {
    const tenant = decodeURIComponent(path.split('/')[1] ?? '')
    if (tenant !== options.tenantId) return { status: 400, body: { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenant}' not found.`, error_codes: [90002] } }
    if (form.get('scope') !== 'https://outlook.office365.com/.default') return { status: 400, body: { error: 'invalid_scope', error_description: 'AADSTS70011: The provided value for scope is not valid.' } }
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } }
    if (form.get('client_id') !== options.clientId) {
      return microsoftError(400, 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'.`)
    }
    const assertion = form.get('client_assertion')
    if (assertion !== null) {
      if (!options.certificatePem) return microsoftError(401, 700027, 'Client assertion failed signature validation.')
      const cert = new X509Certificate(options.certificatePem)
      const checked = checkJwt(assertion, cert.publicKey)
      if (typeof checked === 'string') return microsoftError(401, 700027, `Client assertion failed signature validation (${checked}).`)
      const thumb = createHash('sha256').update(cert.raw).digest('base64url')
      const { header, claims } = checked
      if (header['x5t#S256'] !== thumb || header.x5t !== createHash('sha1').update(cert.raw).digest('base64url')) return microsoftError(401, 700027, 'The certificate with identifier used to sign the client assertion is not registered on application.')
      if (claims.aud !== `${base}${path}` || claims.iss !== options.clientId || claims.sub !== options.clientId) return microsoftError(401, 700021, 'Client assertion audience claim does not match Realm issuer.')
      if (typeof claims.exp !== 'number' || claims.exp * 1000 < now() - 300_000 || typeof claims.jti !== 'string') return microsoftError(401, 700024, 'Client assertion is not within its valid time range.')
      return issue(options.clientId)
    }
    if (form.get('client_secret') !== options.clientSecret) {
      return microsoftError(401, 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.')
    }
    return issue(options.clientId)
  }

  function google(form: URLSearchParams): { status: number; body: Record<string, unknown> } {
    const g = options.google
    if (!g || form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } }
    const checked = checkJwt(form.get('assertion') ?? '', g.publicKey)
    if (typeof checked === 'string') return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } }
    const { claims } = checked
    if (claims.iss !== g.clientEmail || claims.aud !== `${base}/token`) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.' } }
    if (claims.scope !== 'https://mail.google.com/' || !g.users.includes(String(claims.sub))) {
      return { status: 401, body: { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' } }
    }
    return issue(String(claims.sub))
  }

  function custom(form: URLSearchParams, authorization: string | undefined): { status: number; body: Record<string, unknown> } {
    let id = form.get('client_id')
    let secret = form.get('client_secret')
    if (authorization?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':')
      id = decodeURIComponent(u ?? '')
      secret = decodeURIComponent(p ?? '')
    }
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } }
    if (id !== options.clientId || secret !== options.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' } }
    return issue(id)
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const path = new URL(req.url ?? '/', 'http://x').pathname
      requests.push({ path, body, authorization: req.headers.authorization })
      const form = new URLSearchParams(body)
      let answer: { status: number; body: Record<string, unknown> }
      if (req.method !== 'POST') answer = { status: 405, body: { error: 'invalid_request' } }
      else if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) answer = microsoft(path, form)
      else if (path === '/token') answer = google(form)
      else if (path === '/custom/token') answer = custom(form, req.headers.authorization)
      else answer = { status: 404, body: { error: 'not_found' } }
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    base,
    port,
    issued,
    requests,
    options,
    valid: (token) => issued.some((t) => t.token === token && !t.revoked && t.expiresAt > now()),
    stop,
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve())),
    close: () => (server.listening ? stop() : Promise.resolve()),
  }
}

/**
 * smtp-server's onAuth for XOAUTH2 only: a token the endpoint issued and that has not expired or been
 * revoked signs in. A refusal answers as Microsoft does (535 5.7.3 at once) or, with `style: '334'`,
 * as Google does (a 334 challenge with the error, then 535).
 */
export function xoauth2Login(endpoint: TokenEndpoint, style: '535' | '334' = '535', seen: { user: string; token: string }[] = []) {
  return (auth: SMTPServerAuthentication, _session: SMTPServerSession, cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void) => {
    if (auth.method !== 'XOAUTH2') return cb(Object.assign(new Error('5.7.8 Only XOAUTH2 here'), { responseCode: 535 }))
    seen.push({ user: auth.username ?? '', token: auth.accessToken ?? '' })
    if (endpoint.valid(auth.accessToken ?? '')) return cb(null, { user: auth.username })
    if (style === '334') return cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } })
    return cb(Object.assign(new Error('5.7.3 Authentication unsuccessful [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]'), { responseCode: 535 }))
  }
}

