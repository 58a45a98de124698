import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiRequest, type ApiResponse, type Result } from '../../../src/shared/api.ts'
import type { EngineMethod as ApiMethod } from '../../../src/shared/methods.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// Settings through a real engine on a temporary data directory: what is saved,
// what is refused, what survives a restart, and where the password ends up.

const PASSWORD = 'Zq7-relay-pass-4471'

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(dataDir?: string): Promise<CoreEngine> {
  const dir = dataDir ?? tempDir()
  if (!dirs.includes(dir)) dirs.push(dir)
  // No DNS leaves the machine even if a message were ever delivered.
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function reopen(engine: CoreEngine): Promise<CoreEngine> {
  await engine.close()
  engines.splice(engines.indexOf(engine), 1)
  return open(engine.dataDir)
}

/** Calls the engine the way both adapters do: parse with the method's schema, then call. */
async function api<M extends ApiMethod>(engine: CoreEngine, method: M, raw: ApiRequest<M>): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return engine.call(method, parsed.data)
}

const relay = (over: Partial<SettingsFields> = {}): SettingsFields =>
  testSettings({ relayHost: 'smtp.example.test', relayPort: 587, useTls: true, ...over })

function settingsFile(engine: CoreEngine): string {
  return join(engine.dataDir, 'settings.json')
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
}

/** Files under the data directory that hold the password in any plain encoding. */
function filesWithPassword(dir: string, password: string): string[] {
  const needles = [Buffer.from(password, 'utf8'), Buffer.from(Buffer.from(password, 'utf8').toString('base64')), Buffer.from(password, 'utf16le')]
  return allFiles(dir).filter((file) => {
    const bytes = readFileSync(file)
    return needles.some((n) => bytes.includes(n))
  })
}

async function allEvents(engine: CoreEngine) {
  return unwrap(await engine.call('events.list', { limit: 500 })).items
}

describe('settings through the engine', () => {
  it('an invalid update changes nothing, in memory or on disk', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    const before = unwrap(await engine.call('settings.get', undefined))
    const fileBefore = readFileSync(settingsFile(engine))
    const eventsBefore = (await allEvents(engine)).length

    const result = await api(engine, 'settings.update', { settings: relay({ hostname: 'mail', relayHost: 'other.example.test', relayPort: 0 }) })
    if (result.ok) throw new Error('an invalid update was accepted')
    expect(result.error.code).toBe('invalid_request')
    expect(Object.keys(result.error.fields!).sort()).toEqual(['hostname', 'relayPort'])

    expect(unwrap(await engine.call('settings.get', undefined))).toEqual(before)
    expect(readFileSync(settingsFile(engine)).equals(fileBefore)).toBe(true)
    expect((await allEvents(engine)).length).toBe(eventsBefore)
  })

  it('Use SASL Authorization with no password stored is refused under password, and nothing is saved', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    const fileBefore = readFileSync(settingsFile(engine))

    const result = await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }) })
    if (result.ok) throw new Error('SASL without a password was accepted')
    expect(result.error.code).toBe('invalid_request')
    expect(result.error.fields).toEqual({ password: expect.stringMatching(/Enter the Password/) })
    expect(unwrap(await engine.call('settings.get', undefined)).settings.useSasl).toBe(false)
    expect(readFileSync(settingsFile(engine)).equals(fileBefore)).toBe(true)

    // An empty password is no password either.
    const empty = await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }), password: '' })
    expect(empty.ok ? null : Object.keys(empty.error.fields ?? {})).toEqual(['password'])
  })

  it('the password is never returned, never on disk in clear, and survives a restart', async () => {
    let engine = await open()
    const view = unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }), password: PASSWORD }))
    expect(view.hasPassword).toBe(true)
    expect(JSON.stringify(view)).not.toContain(PASSWORD)
    const got = unwrap(await engine.call('settings.get', undefined))
    expect(got.hasPassword).toBe(true)
    expect(Object.keys(got).sort()).toEqual(['dkim', 'hasListenPassword', 'hasPassword', 'oauth', 'secretStorage', 'settings'])
    expect(JSON.stringify(got)).not.toContain(PASSWORD)
    expect(JSON.stringify(unwrap(await engine.call('status.get', undefined)))).not.toContain(PASSWORD)
    expect(await engine.settings.password()).toBe(PASSWORD)

    // Something is stored, just not the password itself.
    const stored = JSON.parse(readFileSync(settingsFile(engine), 'utf8')) as { password: unknown }
    expect(typeof stored.password).toBe('string')
    // The search does find what is stored in clear, such as the username.
    expect(filesWithPassword(engine.dataDir, 'relayuser')).toContain(settingsFile(engine))
    expect(filesWithPassword(engine.dataDir, PASSWORD)).toEqual([])

    engine = await reopen(engine)
    expect(filesWithPassword(engine.dataDir, PASSWORD)).toEqual([])
    const after = unwrap(await engine.call('settings.get', undefined))
    expect(after).toEqual(got)
    expect(after.settings).toEqual(relay({ useSasl: true, username: 'relayuser' }))
    expect(await engine.settings.password()).toBe(PASSWORD)

    // Saving other fields without a password keeps the stored one.
    unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser', fromName: 'Night Shift' }) }))
    expect(await engine.settings.password()).toBe(PASSWORD)
    expect(filesWithPassword(engine.dataDir, PASSWORD)).toEqual([])
  })

  it('password: null clears the stored password, also after a restart', async () => {
    let engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }), password: PASSWORD }))

    // Still needed while SASL is on.
    const refused = await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }), password: null })
    expect(refused.ok ? null : refused.error.fields).toEqual({ password: expect.any(String) })
    expect(await engine.settings.password()).toBe(PASSWORD)

    const view = unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: false, username: 'relayuser' }), password: null }))
    expect(view.hasPassword).toBe(false)
    expect(await engine.settings.password()).toBeNull()
    const cleared = (await allEvents(engine))[0]!
    expect(cleared.message).toContain('Password (cleared)')

    engine = await reopen(engine)
    expect(unwrap(await engine.call('settings.get', undefined)).hasPassword).toBe(false)
    expect(await engine.settings.password()).toBeNull()
  })

  it('each save writes an event naming the fields that changed, never the password', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    const pushed: string[][] = []
    engine.on('settings.changed', (e) => pushed.push(e.fields))

    unwrap(await api(engine, 'settings.update', { settings: relay({ relayHost: 'relay2.example.test', relayPort: 2525 }) }))
    let [latest] = await allEvents(engine)
    expect(latest).toMatchObject({ level: 'info', source: 'settings', details: { fields: ['Relay Host', 'Relay Port'] } })
    expect(latest!.message).toBe('Settings saved: Relay Host, Relay Port changed.')

    unwrap(await api(engine, 'settings.update', { settings: relay({ relayHost: 'relay2.example.test', relayPort: 2525, useSasl: true, username: 'relayuser' }), password: PASSWORD }))
    ;[latest] = await allEvents(engine)
    expect(latest!.details).toEqual({ fields: ['Use SASL Authorization', 'Username', 'Password (replaced)'] })

    // Replacing the password with the same value still says "replaced", and shows no value.
    unwrap(await api(engine, 'settings.update', { settings: relay({ relayHost: 'relay2.example.test', relayPort: 2525, useSasl: true, username: 'relayuser' }), password: PASSWORD }))
    ;[latest] = await allEvents(engine)
    expect(latest!.details).toEqual({ fields: ['Password (replaced)'] })

    unwrap(await api(engine, 'settings.update', { settings: relay({ relayHost: 'relay2.example.test', relayPort: 2525, useSasl: true, username: 'relayuser' }) }))
    ;[latest] = await allEvents(engine)
    expect(latest!.message).toBe('Settings saved: nothing changed.')

    expect(pushed).toEqual([['Relay Host', 'Relay Port'], ['Use SASL Authorization', 'Username', 'Password (replaced)'], ['Password (replaced)']])
    expect(JSON.stringify(await allEvents(engine))).not.toContain(PASSWORD)
    expect(filesWithPassword(engine.dataDir, PASSWORD)).toEqual([])
  })

  it('a start with Use SASL Authorization on and Use TLS off warns that the password waits for the relay’s STARTTLS', async () => {
    let engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'mailer', useTls: false }), password: PASSWORD }))
    const dataDir = engine.dataDir
    await engine.close()
    engine = await openEngine({ dataDir, startWorker: false })
    engines.push(engine)
    const warnings = unwrap(await api(engine, 'events.list', { limit: 20, level: 'warning' })).items
    expect(warnings.some((e) => e.source === 'settings' && /Use TLS is off: the Password is sent only if the relay offers STARTTLS/.test(e.message))).toBe(true)
  })

  it('turning Verify certificate off, or Allow password without TLS (unsafe) on, is logged as a warning that says what it costs', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    unwrap(await api(engine, 'settings.update', { settings: relay({ verifyCertificate: false }) }))
    let [latest] = await allEvents(engine)
    expect(latest).toMatchObject({ level: 'warning', source: 'settings', details: { fields: ['Verify certificate'] } })
    expect(latest!.message).toMatch(/Verify certificate was turned off: server certificates are no longer checked/)
    expect(unwrap(await api(engine, 'status.get', undefined))).toMatchObject({ verifyCertificate: false, allowPlainAuth: false })

    // Turned back on, it is news, not a warning.
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    ;[latest] = await allEvents(engine)
    expect(latest).toMatchObject({ level: 'info', details: { fields: ['Verify certificate'] } })

    unwrap(await api(engine, 'settings.update', { settings: relay({ allowPlainAuth: true }) }))
    ;[latest] = await allEvents(engine)
    expect(latest).toMatchObject({ level: 'warning', details: { fields: ['Allow password without TLS (unsafe)'] } })
    expect(latest!.message).toMatch(/Allow password without TLS \(unsafe\) was turned on/)
    expect(unwrap(await api(engine, 'status.get', undefined))).toMatchObject({ verifyCertificate: true, allowPlainAuth: true })
  })

  it('the CA certificate is read at save: a block that is not a certificate is refused under caPem, and nothing is saved', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay() }))
    const before = readFileSync(settingsFile(engine), 'utf8')
    const cert = selfSignedCert().cert.trim()
    const garbage = '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGUsIGp1c3QgdGV4dC4=\n-----END CERTIFICATE-----'
    for (const [caPem, which] of [
      [garbage, /certificate 1 /],
      [`${cert}\n${garbage}\n`, /certificate 2 of 2/],
    ] as const) {
      const result = await api(engine, 'settings.update', { settings: relay({ caPem }) })
      if (result.ok) throw new Error('accepted')
      expect(result.error.code).toBe('invalid_request')
      expect(Object.keys(result.error.fields!)).toEqual(['caPem'])
      expect(result.error.fields!.caPem).toMatch(/CA certificate/)
      expect(result.error.fields!.caPem).toMatch(which)
      expect(readFileSync(settingsFile(engine), 'utf8')).toBe(before)
      expect(unwrap(await api(engine, 'settings.get', undefined)).settings.caPem).toBe('')
    }
    // A real one, and a chain of two with text between as openssl prints it, are saved.
    unwrap(await api(engine, 'settings.update', { settings: relay({ caPem: cert }) }))
    unwrap(await api(engine, 'settings.update', { settings: relay({ caPem: `subject=CN = localhost\n${cert}\n\n${cert}\n` }) }))
    expect(unwrap(await api(engine, 'settings.get', undefined)).settings.caPem).toContain('subject=CN = localhost')
  })

  it('a value broken by hand in settings.json pauses delivery and is named; the form keeps the fields that were read', async () => {
    let engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay({ relayPort: 2525, fromName: 'Ops Console', maxBackoffSec: 3600 }) }))
    await engine.close()
    engines.splice(engines.indexOf(engine), 1)

    const file = join(engine.dataDir, 'settings.json')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { settings: Record<string, unknown> }
    stored.settings.relayPort = 'abc'
    stored.settings.fromName = 'Ops\r\nBcc: victim@example.com'
    writeFileSync(file, JSON.stringify(stored, null, '\t'))
    const before = readFileSync(file)

    engine = await open(engine.dataDir)
    const { settings } = unwrap(await engine.call('settings.get', undefined))
    expect(settings).toEqual({ ...relay({ maxBackoffSec: 3600 }), relayPort: null, fromName: 'SMTP Console' })
    const problem = unwrap(await engine.call('status.get', undefined)).settingsProblem
    expect(problem?.fields).toEqual(['From Name', 'Relay Port'])
    expect(problem?.message).toMatch(/Edit Settings/)
    expect(readFileSync(file).equals(before)).toBe(true)

    const errors = unwrap(await engine.call('events.list', { limit: 50, level: 'error' })).items
    expect(errors).toHaveLength(1)
    expect(errors[0]!.source).toBe('settings')
    expect(errors[0]!.message).toMatch(/From Name/)
    expect(errors[0]!.message).toMatch(/Relay Port/)
    expect(errors[0]!.message).toContain(file)
  })

  it('a settings file that is not JSON is named and left as it was; the engine opens with delivery paused', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{"settings": {"hostname": "mail.example.test",')
    const before = readFileSync(file)
    const engine = await open(dir)
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem?.message).toMatch(/settings\.json cannot be read as it was saved: it is not valid JSON/)
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('the key file is readable only by its owner, and the API says the key-file storage is the weaker option', async () => {
    const engine = await open()
    const view = unwrap(await api(engine, 'settings.update', { settings: relay({ useSasl: true, username: 'relayuser' }), password: PASSWORD }))
    expect(view.secretStorage.kind).toBe('keyfile')
    expect(view.secretStorage.description).toMatch(/weaker/)
    expect(unwrap(await engine.call('status.get', undefined)).secretStorage.kind).toBe('keyfile')
    const key = statSync(join(engine.dataDir, 'secret.key'))
    expect(key.mode & 0o777).toBe(0o600)
    expect(key.size).toBe(32)
  })
})
