import { generateKeyPairSync } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { SettingsFields, SettingsUpdate } from '../../../src/shared/settings.ts'
import { removeDir, tempDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { startTokenEndpoint, xoauth2Login, type TokenEndpoint, type TokenEndpointOptions } from '../../helpers/oauth.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// Relay delivery signed in with OAuth 2.0 (SASL XOAUTH2): a real token
// endpoint on loopback issues tokens, and a real smtp-server on loopback
// accepts XOAUTH2 only for a token that endpoint issued and that has neither
// expired nor been revoked.

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444'
const SECRET = 'Qx8~app-secret-Ew2vN0tInAnyFile'
const MAILBOX = 'alerts@contoso.example'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

interface Rig {
  engine: CoreEngine
  endpoint: TokenEndpoint
  smtp: TestSmtp
  /** Every XOAUTH2 login the server saw, in order. */
  logins: { user: string; token: string }[]
  clock: { now: number }
}

async function rig(opts: {
  settings?: Partial<SettingsFields>
  secrets?: Omit<SettingsUpdate, 'settings'>
  endpoint?: Partial<TokenEndpointOptions>
  style?: '535' | '334'
  /** Refuse every token, valid or not, as Microsoft 365 does for an app without SMTP.SendAsApp. */
  refuseAll?: boolean
} = {}): Promise<Rig> {
  const clock = { now: Date.now() }
  const endpoint = await startTokenEndpoint({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, now: () => clock.now, ...opts.endpoint })
  cleanups.push(() => endpoint.close())
  const logins: Rig['logins'] = []
  const accept = xoauth2Login(endpoint, opts.style ?? '535', logins)
  const smtp = await startSmtp({
    tls: 'starttls',
    authMethods: ['XOAUTH2'],
    onAuth: opts.refuseAll
      ? (auth, _s, cb) => {
          logins.push({ user: auth.username ?? '', token: auth.accessToken ?? '' })
          cb(Object.assign(new Error('5.7.3 Authentication unsuccessful [SN4PR0501CA0001.namprd05.prod.outlook.com]'), { responseCode: 535 }))
        }
      : accept,
  })
  cleanups.push(() => smtp.close())
  const dataDir = tempDir()
  const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'], now: () => clock.now, oauthEndpointOverride: endpoint.base })
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
    ...opts.settings,
  })
  unwrap(await engine.call('settings.update', { settings, ...(opts.secrets ?? { clientSecret: SECRET }) }))
  return { engine, endpoint, smtp, logins, clock }
}

async function sendTest(engine: CoreEngine): Promise<string> {
  return unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' })).queueId
}

async function settled(engine: CoreEngine, queueId: string, attempts = 1): Promise<void> {
  await waitFor(
    () => engine.mailLog.forQueueId(queueId).filter((e) => e.status !== 'received').length >= attempts && engine.worker.activeCount === 0,
    `attempt ${attempts} on ${queueId}`,
  )
}

/** The mail log's statuses of a message, oldest first. */
function statuses(engine: CoreEngine, queueId: string): string[] {
  return engine.mailLog.forQueueId(queueId).map((e) => e.status).reverse()
}

async function transcript(engine: CoreEngine, queueId: string): Promise<string[]> {
  return unwrap(await engine.call('mail.transcript', { queueId }))!.lines
}

describe('relay delivery signed in with OAuth 2.0', () => {
  it('Microsoft 365 with a client secret: the test email goes through with the token, shown as AUTH XOAUTH2 <redacted>', async () => {
    const { engine, endpoint, smtp, logins } = await rig()
    const queueId = await sendTest(engine)
    await settled(engine, queueId)
    expect(statuses(engine, queueId)).toEqual(['received', 'sent'])
    expect(smtp.received).toHaveLength(1)
    expect(smtp.received[0]!.user).toBe(MAILBOX)
    expect(logins).toEqual([{ user: MAILBOX, token: endpoint.issued[0]!.token }])
    const lines = await transcript(engine, queueId)
    expect(lines).toContain('C: AUTH XOAUTH2 <redacted>')
    expect(lines.join('\n')).not.toContain(endpoint.issued[0]!.token)

    // The token is reused while it has time left: a second test email asks the endpoint nothing.
    const second = await sendTest(engine)
    await settled(engine, second)
    expect(smtp.received).toHaveLength(2)
    expect(endpoint.requests).toHaveLength(1)
  })

  it('Microsoft 365 with a certificate: the signed client assertion gets the token', async () => {
    const { key, cert } = selfSignedCert()
    const { engine, endpoint, smtp } = await rig({
      endpoint: { clientSecret: undefined, certificatePem: cert },
      settings: { oauthCredential: 'certificate', oauthCertificatePem: cert },
      secrets: { privateKey: key },
    })
    const queueId = await sendTest(engine)
    await settled(engine, queueId)
    expect(smtp.received).toHaveLength(1)
    expect(new URLSearchParams(endpoint.requests[0]!.body).get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
  })

  it('Google: the service account impersonates the Username, and a 334 refusal is answered with a fresh token', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const keyFile = JSON.stringify({ type: 'service_account', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: 'smtp@p.iam.gserviceaccount.com' })
    const { engine, endpoint, smtp, logins } = await rig({
      endpoint: { google: { clientEmail: 'smtp@p.iam.gserviceaccount.com', publicKey, users: [MAILBOX] } },
      settings: { authMethod: 'oauth-google' },
      secrets: { serviceAccountKey: keyFile },
      style: '334',
    })
    const first = await sendTest(engine)
    await settled(engine, first)
    expect(smtp.received).toHaveLength(1)
    expect(endpoint.issued[0]!.subject).toBe(MAILBOX)

    endpoint.issued[0]!.revoked = true
    const second = await sendTest(engine)
    await settled(engine, second)
    expect(statuses(engine, second)).toEqual(['received', 'sent'])
    expect(logins.map((l) => l.token)).toEqual([endpoint.issued[0]!.token, endpoint.issued[0]!.token, endpoint.issued[1]!.token])
  })

  it('a token close to its expiry is renewed before it is used', async () => {
    const { engine, endpoint, logins, clock } = await rig()
    const first = await sendTest(engine)
    await settled(engine, first)
    // Four minutes left: still valid for the server, but inside the five minutes the console renews ahead.
    clock.now = endpoint.issued[0]!.expiresAt - 4 * 60_000
    expect(endpoint.valid(endpoint.issued[0]!.token)).toBe(true)
    const second = await sendTest(engine)
    await settled(engine, second)
    expect(statuses(engine, second)).toEqual(['received', 'sent'])
    expect(endpoint.issued).toHaveLength(2)
    // No refused login in between: the new token was the one offered.
    expect(logins.map((l) => l.token)).toEqual([endpoint.issued[0]!.token, endpoint.issued[1]!.token])
  })

  it('a revoked token (535) is renewed once and the message sent', async () => {
    const { engine, endpoint, logins, smtp } = await rig()
    const first = await sendTest(engine)
    await settled(engine, first)
    endpoint.issued[0]!.revoked = true
    const second = await sendTest(engine)
    await settled(engine, second)
    expect(statuses(engine, second)).toEqual(['received', 'sent'])
    expect(smtp.received).toHaveLength(2)
    expect(logins.map((l) => l.token)).toEqual([endpoint.issued[0]!.token, endpoint.issued[0]!.token, endpoint.issued[1]!.token])
    expect((await transcript(engine, second)).join('\n')).toMatch(/refused the access token .*signing in once more with a new token/)
  })

  it('a token refused again after renewal is not renewed in a loop: 535 5.7.3 defers with the SMTP.SendAsApp fix', async () => {
    const { engine, endpoint, logins } = await rig({ refuseAll: true })
    const queueId = await sendTest(engine)
    await settled(engine, queueId)
    expect(logins).toHaveLength(2)
    expect(endpoint.requests).toHaveLength(2)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation).toMatchObject({ cause: 'oauth-send-as-denied' })
    expect(entry.explanation!.fix).toMatch(/SMTP\.SendAsApp.*New-ServicePrincipal.*Add-MailboxPermission/)
  })

  it('a wrong client secret defers the message with AADSTS7000215 decoded and its fix', async () => {
    const { engine, smtp, logins } = await rig({ secrets: { clientSecret: 'the-secret-id-not-its-value' } })
    const queueId = await sendTest(engine)
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.reason).toMatch(/AADSTS7000215: Invalid client secret provided/)
    expect(entry.explanation).toMatchObject({ cause: 'oauth-secret-invalid' })
    expect(entry.explanation!.fix).toMatch(/paste its Value \(not its Secret ID\) into Client secret/)
    expect(smtp.received).toHaveLength(0)
    expect(logins).toHaveLength(0)
    expect(JSON.stringify(entry)).not.toContain('the-secret-id-not-its-value')
  })

  it('the token endpoint down defers the message, and it goes once the endpoint is back', async () => {
    const { engine, smtp, endpoint } = await rig()
    await endpoint.stop()
    const queueId = await sendTest(engine)
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation).toMatchObject({ cause: 'oauth-endpoint-unreachable' })
    expect(entry.explanation!.fix).toMatch(/stays queued and is retried/)

    expect(endpoint.requests).toHaveLength(0)

    await endpoint.start()
    unwrap(await engine.call('queue.flush', undefined))
    await settled(engine, queueId, 2)
    expect(statuses(engine, queueId)).toEqual(['received', 'deferred', 'sent'])
    expect(smtp.received).toHaveLength(1)
    expect(endpoint.requests).toHaveLength(1)
  })

  it('the secret and every token appear nowhere on disk, in no log, transcript or API response', async () => {
    const { engine, endpoint } = await rig()
    const ids = [await sendTest(engine)]
    await settled(engine, ids[0]!)
    endpoint.issued[0]!.revoked = true
    ids.push(await sendTest(engine))
    await settled(engine, ids[1]!)
    const tokens = endpoint.issued.map((t) => t.token)
    expect(tokens).toHaveLength(2)
    await engine.close()
    cleanups.pop()
    const reopened = await openEngine({ dataDir: engine.dataDir, startWorker: false })
    cleanups.push(async () => {
      await reopened.close()
      removeDir(engine.dataDir)
    })

    const needles = [SECRET, ...tokens].flatMap((s) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')])
    const files = readdirSync(engine.dataDir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name))
    expect(files.length).toBeGreaterThan(2)
    for (const file of files) {
      const bytes = readFileSync(file)
      for (const n of needles) expect(bytes.includes(Buffer.from(n)) || bytes.includes(Buffer.from(n, 'utf16le')), `${n.slice(0, 6)}… in ${file}`).toBe(false)
    }
    const responses = [
      await reopened.call('settings.get', undefined),
      await reopened.call('status.get', undefined),
      await reopened.call('events.list', { limit: 500 }),
      await reopened.call('mailLog.list', { limit: 500 }),
      ...(await Promise.all(ids.map((queueId) => reopened.call('mail.transcript', { queueId })))),
      ...(await Promise.all(ids.map((queueId) => reopened.call('queue.source', { queueId })))),
    ]
    const text = JSON.stringify(responses)
    expect(text).toContain('AUTH XOAUTH2 <redacted>')
    for (const n of needles) expect(text).not.toContain(n)
  })
})
