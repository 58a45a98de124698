import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiRequest, type ApiResponse, type Result } from '../../../src/shared/api.ts'
import type { EngineMethod as ApiMethod } from '../../../src/shared/methods.ts'
import { DEFAULT_SETTINGS, type SettingsFields } from '../../../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// The OAuth 2.0 sign-in settings through a real engine: each method's secrets
// are sealed like the Password, never returned, never on disk in clear, and a
// settings file written before sign-in methods existed reads as Password.

const CLIENT_SECRET = 'Qx8~app-secret-Ew2vN0tInAnyFile'
const OTHER_SECRET = 'gateway-secret-77Hk1'

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(dataDir?: string): Promise<CoreEngine> {
  const dir = dataDir ?? tempDir()
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function reopen(engine: CoreEngine): Promise<CoreEngine> {
  await engine.close()
  engines.splice(engines.indexOf(engine), 1)
  return open(engine.dataDir)
}

async function api<M extends ApiMethod>(engine: CoreEngine, method: M, raw: ApiRequest<M>): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return engine.call(method, parsed.data)
}

const microsoft = (over: Partial<SettingsFields> = {}): SettingsFields =>
  testSettings({
    relayHost: 'smtp.office365.com',
    relayPort: 587,
    useTls: true,
    useSasl: true,
    username: 'alerts@contoso.example',
    authMethod: 'oauth-microsoft',
    oauthTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    oauthClientId: '00001111-aaaa-2222-bbbb-3333cccc4444',
    ...over,
  })

/** Files of the data directory holding `secret` in clear, as UTF-8, base64 or UTF-16. */
function filesWith(dir: string, secret: string): string[] {
  const needles = [Buffer.from(secret, 'utf8'), Buffer.from(Buffer.from(secret, 'utf8').toString('base64')), Buffer.from(secret, 'utf16le')]
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .filter((file) => needles.some((n) => readFileSync(file).includes(n)))
}

function rsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** The body of a PEM key, the part that must never be found in clear. */
const keyBody = (pem: string) => pem.split('\n')[5]!

describe('OAuth 2.0 sign-in settings', () => {
  it('a settings file from before sign-in methods reads as Password, and saves as it did', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const older = { ...testSettings({ relayHost: 'relay.example.test', relayPort: 587, useTls: true }) } as Partial<SettingsFields>
    for (const key of ['authMethod', 'oauthTenantId', 'oauthClientId', 'oauthCredential', 'oauthCertificatePem', 'oauthTokenUrl', 'oauthScope'] as const) delete older[key]
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ version: 1, settings: older, password: null }))
    const engine = await open(dir)
    expect(engine.settings.problem).toBeNull()
    const view = unwrap(await engine.call('settings.get', undefined))
    expect(view.settings.authMethod).toBe('password')
    expect(view.oauth).toEqual({ microsoft: { hasClientSecret: false, hasPrivateKey: false }, google: { serviceAccount: null }, custom: { hasClientSecret: false } })
    // An update that does not name the new fields (a script, an older window) is taken as Password too.
    const { authMethod: _a, oauthTenantId: _t, oauthClientId: _c, oauthCredential: _r, oauthCertificatePem: _p, oauthTokenUrl: _u, oauthScope: _s, ...oldShape } = view.settings
    const saved = unwrap(await api(engine, 'settings.update', { settings: oldShape }))
    expect(saved.settings).toEqual({ ...view.settings, authMethod: 'password' })
    expect(DEFAULT_SETTINGS.authMethod).toBe('password')
  })

  it('Microsoft 365 with a client secret: sealed, shown only as set, kept over a restart, never in a file, an event or a response', async () => {
    let engine = await open()
    const refused = await api(engine, 'settings.update', { settings: microsoft() })
    expect(refused.ok ? null : refused.error.fields).toEqual({ clientSecret: expect.stringMatching(/Enter the Client secret/) })
    expect(readdirSync(engine.dataDir)).not.toContain('settings.json')

    const view = unwrap(await api(engine, 'settings.update', { settings: microsoft(), clientSecret: CLIENT_SECRET }))
    expect(view.oauth.microsoft).toEqual({ hasClientSecret: true, hasPrivateKey: false })
    expect(view.hasPassword).toBe(false)
    const responses = [view, unwrap(await engine.call('settings.get', undefined)), unwrap(await engine.call('status.get', undefined)), unwrap(await engine.call('events.list', { limit: 100 }))]
    expect(JSON.stringify(responses)).not.toContain(CLIENT_SECRET)
    expect(JSON.stringify(responses[3])).toContain('Client secret (replaced)')
    expect(filesWith(engine.dataDir, CLIENT_SECRET)).toEqual([])
    expect(filesWith(engine.dataDir, 'alerts@contoso.example')).toContain(join(engine.dataDir, 'settings.json'))
    expect((await engine.settings.oauthSecrets()).clientSecret).toBe(CLIENT_SECRET)

    engine = await reopen(engine)
    expect(engine.settings.problem).toBeNull()
    expect(unwrap(await engine.call('settings.get', undefined)).oauth.microsoft.hasClientSecret).toBe(true)
    expect((await engine.settings.oauthSecrets()).clientSecret).toBe(CLIENT_SECRET)
    expect(filesWith(engine.dataDir, CLIENT_SECRET)).toEqual([])

    // Another provider keeps a secret of its own: Microsoft's is never sent to a token URL it was not made for.
    const custom = { ...microsoft(), authMethod: 'oauth-custom' as const, oauthClientId: 'console', oauthTokenUrl: 'https://idp.example.test/token' }
    const own = await api(engine, 'settings.update', { settings: custom })
    expect(own.ok ? null : Object.keys(own.error.fields ?? {})).toEqual(['clientSecret'])
    unwrap(await api(engine, 'settings.update', { settings: custom, clientSecret: OTHER_SECRET }))
    expect((await engine.settings.oauthSecrets()).clientSecret).toBe(OTHER_SECRET)
    unwrap(await api(engine, 'settings.update', { settings: microsoft() }))
    expect((await engine.settings.oauthSecrets()).clientSecret).toBe(CLIENT_SECRET)
    expect(filesWith(engine.dataDir, OTHER_SECRET)).toEqual([])
  })

  it('Microsoft 365 with a certificate: the key must read and belong to the certificate; it is sealed like the password', async () => {
    const engine = await open()
    const { key, cert } = selfSignedCert()
    const settings = microsoft({ oauthCredential: 'certificate', oauthCertificatePem: cert })
    const before = existsSettings(engine)

    const noKey = await api(engine, 'settings.update', { settings })
    expect(noKey.ok ? null : noKey.error.fields).toEqual({ privateKey: expect.stringMatching(/Enter the Private key/) })
    const wrongKey = await api(engine, 'settings.update', { settings, privateKey: rsaKeyPem() })
    expect(wrongKey.ok ? null : wrongKey.error.fields).toEqual({ privateKey: expect.stringMatching(/does not belong to the Certificate/) })
    const damaged = await api(engine, 'settings.update', { settings, privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' })
    expect(damaged.ok ? null : damaged.error.fields).toEqual({ privateKey: expect.stringMatching(/The Private key cannot be read/) })
    const noCert = await api(engine, 'settings.update', { settings: { ...settings, oauthCertificatePem: '' }, privateKey: key })
    expect(noCert.ok ? null : noCert.error.fields).toEqual({ oauthCertificatePem: expect.stringMatching(/Paste the app's Certificate/) })
    expect(existsSettings(engine)).toBe(before)

    const view = unwrap(await api(engine, 'settings.update', { settings, privateKey: key }))
    expect(view.oauth.microsoft).toEqual({ hasClientSecret: false, hasPrivateKey: true })
    expect(view.settings.oauthCertificatePem).toBe(cert)
    expect(JSON.stringify(view)).not.toContain(keyBody(key))
    expect(filesWith(engine.dataDir, keyBody(key))).toEqual([])
    expect((await engine.settings.oauthSecrets()).privateKey).toBe(key)
    // Another certificate with the saved key is refused: the pair is checked whenever either changes.
    const other = microsoft({ oauthCredential: 'certificate', oauthCertificatePem: otherCert() })
    const mismatch = await api(engine, 'settings.update', { settings: other })
    expect(mismatch.ok ? null : Object.keys(mismatch.error.fields ?? {})).toEqual(['privateKey'])
  })

  it('Google: the service account key is read, its address shown, its private key sealed; a file that is not a key is refused', async () => {
    const engine = await open()
    const privateKey = rsaKeyPem()
    const keyFile = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: 'k1', private_key: privateKey, client_email: 'smtp@p.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' })
    const settings = testSettings({ relayHost: 'smtp.gmail.com', relayPort: 587, useTls: true, useSasl: true, username: 'alerts@example.test', authMethod: 'oauth-google' })
    const notKey = await api(engine, 'settings.update', { settings, serviceAccountKey: '{"type":"authorized_user"}' })
    expect(notKey.ok ? null : notKey.error.fields).toEqual({ serviceAccountKey: expect.stringMatching(/JSON key file Google gives for a service account/) })
    const notJson = await api(engine, 'settings.update', { settings, serviceAccountKey: 'hello' })
    expect(notJson.ok ? null : notJson.error.fields?.serviceAccountKey).toMatch(/not JSON/)
    const username = await api(engine, 'settings.update', { settings: { ...settings, username: 'alerts' }, serviceAccountKey: keyFile })
    expect(username.ok ? null : username.error.fields).toEqual({ username: expect.stringMatching(/Username is the mailbox to send as/) })

    const view = unwrap(await api(engine, 'settings.update', { settings, serviceAccountKey: keyFile }))
    expect(view.oauth.google).toEqual({ serviceAccount: 'smtp@p.iam.gserviceaccount.com' })
    expect(JSON.stringify(view)).not.toContain(keyBody(privateKey))
    expect(filesWith(engine.dataDir, keyBody(privateKey))).toEqual([])
    expect((await engine.settings.oauthSecrets()).serviceAccount).toEqual({ clientEmail: 'smtp@p.iam.gserviceaccount.com', privateKeyId: 'k1', privateKey })
    const cleared = await api(engine, 'settings.update', { settings, serviceAccountKey: null })
    expect(cleared.ok ? null : Object.keys(cleared.error.fields ?? {})).toEqual(['serviceAccountKey'])
  })

  it('each method names what it lacks under the field to fill', () => {
    const fields = (settings: Partial<SettingsFields>) => {
      const r = parseRequest('settings.update', { settings: { ...microsoft(), ...settings } })
      return r.ok ? {} : r.error.fields
    }
    expect(fields({ oauthTenantId: '', oauthClientId: '' })).toEqual({ oauthTenantId: expect.stringMatching(/Enter the Tenant ID/), oauthClientId: expect.stringMatching(/Enter the Client ID/) })
    expect(fields({ oauthClientId: 'my-app' })).toEqual({ oauthClientId: expect.stringMatching(/is a GUID/) })
    expect(fields({ authMethod: 'oauth-custom', oauthClientId: '' })).toEqual({ oauthTokenUrl: expect.stringMatching(/Enter the provider's Token URL/), oauthClientId: expect.stringMatching(/Enter the Client ID/) })
    expect(fields({ authMethod: 'oauth-custom', oauthTokenUrl: 'http://idp.example.test/token' })).toEqual({ oauthTokenUrl: expect.stringMatching(/must start with https:\/\//) })
    expect(fields({ authMethod: 'oauth-custom', oauthTokenUrl: 'http://127.0.0.1:8080/token' })).toEqual({})
    // Off, the sign-in fields are not asked for.
    expect(fields({ useSasl: false, oauthTenantId: '', oauthClientId: '' })).toEqual({})
  })
})

function existsSettings(engine: CoreEngine): boolean {
  return readdirSync(engine.dataDir).includes('settings.json')
}

/** A certificate of another key than selfSignedCert's, made by openssl as the helper does. */
function otherCert(): string {
  const dir = tempDir('smtp-console-cert2-')
  dirs.push(dir)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' })
  return readFileSync(join(dir, 'c.pem'), 'utf8')
}
