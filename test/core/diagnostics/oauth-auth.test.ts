import { afterEach, describe, expect, it } from 'vitest'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import type { Check } from '../../../src/shared/diagnostics.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'
import { startTokenEndpoint, xoauth2Login } from '../../helpers/oauth.ts'
import { startSmtp } from '../../helpers/smtp.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// relay.auth with an OAuth 2.0 Sign-in method: the relay must offer XOAUTH2,
// the token endpoint must give a token, and the relay must take it, all
// checked against a real token endpoint and a real smtp-server on loopback,
// with nothing sent and no token in what the page shows.

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444'
const SECRET = 'Qx8~app-secret-Ew2vN0tInAnyFile'
const MAILBOX = 'alerts@contoso.example'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function authCheck(opts: { secret?: string; mechanisms?: string[] } = {}): Promise<{ check: Check; tokens: string[]; data: number }> {
  const endpoint = await startTokenEndpoint({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET })
  cleanups.push(() => endpoint.close())
  let data = 0
  const smtp = await startSmtp({
    tls: 'starttls',
    authMethods: opts.mechanisms ?? ['XOAUTH2'],
    onAuth: xoauth2Login(endpoint),
    serverOptions: { onData: (stream, _s, cb) => (data++, stream.resume(), stream.on('end', () => cb())) },
  })
  cleanups.push(() => smtp.close())
  const dataDir = tempDir()
  const engine = await openEngine({ dataDir, startWorker: false, dnsServers: ['127.0.0.1:9'], oauthEndpointOverride: endpoint.base })
  cleanups.push(async () => {
    await engine.close()
    removeDir(dataDir)
  })
  const settings = testSettings({
    relayHost: 'localhost',
    relayPort: smtp.port,
    useTls: true,
    caPem: selfSignedCert().cert,
    useSasl: true,
    username: MAILBOX,
    authMethod: 'oauth-microsoft',
    oauthTenantId: TENANT,
    oauthClientId: CLIENT,
  })
  unwrap(await engine.call('settings.update', { settings, clientSecret: opts.secret ?? SECRET }))
  const report = unwrap(await engine.call('diagnostics.run', { scope: 'connection' }))
  return { check: report.checks.find((c) => c.id === 'relay.auth')!, tokens: endpoint.issued.map((i) => i.token), data }
}

describe('relay.auth with OAuth 2.0', () => {
  it('passes when the relay takes the token from the endpoint; the transcript shows AUTH XOAUTH2 <redacted>, never the token', async () => {
    const { check, tokens, data } = await authCheck()
    expect(check).toMatchObject({ verdict: 'pass', summary: expect.stringContaining(`accepted the access token for ${MAILBOX}`) })
    expect(tokens).toHaveLength(1)
    expect(check.detail).toContain('AUTH XOAUTH2 <redacted>')
    expect(JSON.stringify(check)).not.toContain(tokens[0]!)
    expect(JSON.stringify(check)).not.toContain(SECRET)
    expect(data).toBe(0)
  })

  it('fails with the decoded cause when the token endpoint refuses the client secret', async () => {
    const { check, tokens } = await authCheck({ secret: 'a-wrong-secret' })
    expect(tokens).toEqual([])
    expect(check).toMatchObject({ verdict: 'fail', field: 'authMethod' })
    expect(`${check.summary} ${check.fix}`).toMatch(/secret/i)
    expect(JSON.stringify(check)).not.toContain('a-wrong-secret')
  })

  it('fails when the relay offers no XOAUTH2, naming the Sign-in method', async () => {
    const { check, tokens } = await authCheck({ mechanisms: ['PLAIN', 'LOGIN'] })
    expect(check).toMatchObject({ verdict: 'fail', field: 'authMethod', summary: expect.stringContaining('not XOAUTH2') })
    expect(tokens).toEqual([])
  })
})
