import { generateKeyPairSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { requestToken, TokenError, type GrantConfig } from '../../../src/main/core/oauth/grants.ts'
import { closedPort } from '../../helpers/smtp.ts'
import { startTokenEndpoint, type TokenEndpoint, type TokenEndpointOptions } from '../../helpers/oauth.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// Each grant against a real token endpoint on loopback that checks what the
// providers check: the client secret, the client assertion's RS256 signature
// against the registered certificate, the service account's signature and the
// user it impersonates.

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444'
const SECRET = 'Qx8~app-secret-Ew2v'

const endpoints: TokenEndpoint[] = []
afterEach(async () => {
  while (endpoints.length) await endpoints.pop()!.close()
})

async function endpoint(over: Partial<TokenEndpointOptions> = {}): Promise<TokenEndpoint> {
  const e = await startTokenEndpoint({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...over })
  endpoints.push(e)
  return e
}

async function refusal(config: GrantConfig, override: string): Promise<TokenError> {
  const err = await requestToken(config, { endpointOverride: override }).then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof TokenError)) throw new Error(`expected a TokenError, got ${String(err)}`)
  return err
}

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 })

describe('OAuth 2.0 grants', () => {
  it('Microsoft client credentials with a client secret: a token; a wrong secret or an unknown app is refused with its AADSTS code, the secret in no message', async () => {
    const e = await endpoint()
    const token = await requestToken({ kind: 'microsoft-secret', tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }, { endpointOverride: e.base })
    expect(e.valid(token.value)).toBe(true)
    expect(token.expiresAt - token.issuedAt).toBe(3600_000)
    expect(e.requests[0]!.path).toBe(`/${TENANT}/oauth2/v2.0/token`)

    const wrong = await refusal({ kind: 'microsoft-secret', tenantId: TENANT, clientId: CLIENT, clientSecret: 'wrong-secret-value' }, e.base)
    expect(wrong).toMatchObject({ kind: 'refused', code: 'EOAUTHREFUSED', error: 'invalid_client', status: 401 })
    expect(wrong.message).toMatch(/^The token endpoint 127\.0\.0\.1:\d+ refused the request \(HTTP 401\): invalid_client: AADSTS7000215: Invalid client secret provided/)
    expect(wrong.message).not.toMatch(/Trace ID|wrong-secret-value/)
    const unknown = await refusal({ kind: 'microsoft-secret', tenantId: TENANT, clientId: '99999999-aaaa-2222-bbbb-3333cccc4444', clientSecret: SECRET }, e.base)
    expect(unknown.message).toMatch(/AADSTS700016: Application with identifier/)
  })

  it('Microsoft client credentials with a certificate: the assertion is signed RS256 with x5t and x5t#S256 of the certificate; another key is refused', async () => {
    const { key, cert } = selfSignedCert()
    const e = await endpoint({ clientSecret: undefined, certificatePem: cert })
    const token = await requestToken({ kind: 'microsoft-certificate', tenantId: TENANT, clientId: CLIENT, certificatePem: cert, privateKey: key }, { endpointOverride: e.base })
    expect(e.valid(token.value)).toBe(true)
    expect(new URLSearchParams(e.requests[0]!.body).get('client_secret')).toBeNull()

    const other = rsa().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const forged = await refusal({ kind: 'microsoft-certificate', tenantId: TENANT, clientId: CLIENT, certificatePem: cert, privateKey: other }, e.base)
    expect(forged.message).toMatch(/AADSTS700027: Client assertion failed signature validation \(signature\)/)
  })

  it('Google service account: a JWT bearer grant impersonating the Username; a user outside the delegation is unauthorized_client', async () => {
    const { privateKey, publicKey } = rsa()
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const e = await endpoint({ google: { clientEmail: 'smtp@p.iam.gserviceaccount.com', publicKey, users: ['alerts@example.test'] } })
    const config = { kind: 'google', clientEmail: 'smtp@p.iam.gserviceaccount.com', privateKeyId: 'k1', privateKey: pem, user: 'alerts@example.test' } as const
    const token = await requestToken(config, { endpointOverride: e.base })
    expect(e.issued.find((t) => t.token === token.value)?.subject).toBe('alerts@example.test')
    const outside = await refusal({ ...config, user: 'ceo@example.test' }, e.base)
    expect(outside).toMatchObject({ kind: 'refused', error: 'unauthorized_client' })
    const otherKey = rsa().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect((await refusal({ ...config, privateKey: otherKey }, e.base)).error).toBe('invalid_grant')
  })

  it('another provider: client credentials with HTTP Basic, and the scope given', async () => {
    const e = await endpoint({ clientId: 'console' })
    const config = { kind: 'custom', tokenUrl: `${e.base}/custom/token`, clientId: 'console', clientSecret: SECRET, scope: 'smtp.send' } as const
    const token = await requestToken(config)
    expect(e.valid(token.value)).toBe(true)
    expect(new URLSearchParams(e.requests[0]!.body).get('scope')).toBe('smtp.send')
    expect(e.requests[0]!.body).not.toContain(SECRET)
    const wrong = await refusal({ ...config, clientSecret: 'nope-nope' }, '')
    expect(wrong.message).toMatch(/invalid_client/)
  })

  it('an endpoint that is not there is unreachable, not refused', async () => {
    const port = await closedPort()
    const err = await refusal({ kind: 'microsoft-secret', tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }, `http://127.0.0.1:${port}`)
    expect(err).toMatchObject({ kind: 'unreachable', code: 'EOAUTHUNREACHABLE' })
    expect(err.message).toBe(`The token endpoint 127.0.0.1:${port} could not be reached (ECONNREFUSED).`)
  })
})
