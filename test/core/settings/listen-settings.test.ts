import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiRequest, type ApiResponse, type Result } from '../../../src/shared/api.ts'
import type { EngineMethod as ApiMethod } from '../../../src/shared/methods.ts'
import { isLoopback, type SettingsFields } from '../../../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// Local submission's settings: never an open relay (the schema refuses a bind
// off loopback without AUTH and STARTTLS, saying why), and its Submission
// password sealed like the relay's: never returned, never on disk in clear.

const engines: CoreEngine[] = []
const dirs: string[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(dataDir = tempDir()): Promise<CoreEngine> {
  if (!dirs.includes(dataDir)) dirs.push(dataDir)
  const engine = await openEngine({ dataDir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function api<M extends ApiMethod>(engine: CoreEngine, method: M, raw: ApiRequest<M>): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  return parsed.ok ? engine.call(method, parsed.data) : parsed
}

const listen = (over: Partial<SettingsFields>): SettingsFields => testSettings({ listenEnabled: true, listenAddress: '127.0.0.1', ...over })

function filesHolding(dir: string, secret: string): string[] {
  const needles = [Buffer.from(secret), Buffer.from(Buffer.from(secret).toString('base64')), Buffer.from(secret, 'utf16le')]
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .filter((f) => needles.some((n) => readFileSync(f).includes(n)))
}

describe('local submission settings', () => {
  it('tells loopback from the network', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true)
    for (const a of ['0.0.0.0', '::', '192.0.2.1', '10.0.0.1', '::2', '2001:db8::1', '::ffff:192.0.2.1']) expect(isLoopback(a), a).toBe(false)
  })

  it('refuses a bind off loopback without AUTH and STARTTLS, with a field error that says why, and saves nothing', async () => {
    const engine = await open()
    const before = unwrap(await engine.call('settings.get', undefined)).settings
    const result = await api(engine, 'settings.update', { settings: listen({ listenAddress: '0.0.0.0' }) })
    if (result.ok) throw new Error('an open relay on 0.0.0.0 was accepted')
    expect(result.error.code).toBe('invalid_request')
    expect(result.error.fields?.listenRequireAuth).toMatch(/0\.0\.0\.0 can be reached from other machines: turn on Require AUTH.*open relay/)
    expect(result.error.fields?.listenStarttls).toMatch(/turn on Offer STARTTLS.*in clear/)
    expect(unwrap(await engine.call('settings.get', undefined)).settings).toEqual(before)

    // AUTH alone is not enough off loopback; on loopback neither is needed.
    const authOnly = await api(engine, 'settings.update', { settings: listen({ listenAddress: '192.0.2.1', listenRequireAuth: true, listenUsername: 'cron' }), listenPassword: 'pw' })
    expect(authOnly.ok ? null : Object.keys(authOnly.error.fields ?? {})).toEqual(['listenStarttls'])
    const loopback = await api(engine, 'settings.update', { settings: listen({ listenEnabled: false, listenPort: await freePort() }) })
    expect(loopback.ok).toBe(true)
  })

  it('wants a username and a Submission password with Require AUTH', async () => {
    const engine = await open()
    const noName = await api(engine, 'settings.update', { settings: listen({ listenRequireAuth: true }), listenPassword: 'pw' })
    expect(noName.ok ? null : noName.error.fields).toEqual({ listenUsername: 'Enter the Submission username: Require AUTH is on.' })
    const noPassword = await api(engine, 'settings.update', { settings: listen({ listenRequireAuth: true, listenUsername: 'cron' }) })
    expect(noPassword.ok ? null : noPassword.error.fields).toEqual({ listenPassword: 'Enter the Submission password: Require AUTH is on.' })
  })

  it('seals the Submission password: never returned, never on disk in clear, kept across a restart', async () => {
    const SECRET = 'listener-secret-7f3a9c'
    let engine = await open()
    const settings = listen({ listenEnabled: false, listenRequireAuth: true, listenUsername: 'cron' })
    const view = unwrap(await api(engine, 'settings.update', { settings, listenPassword: SECRET }))
    expect(view.hasListenPassword).toBe(true)
    expect(view.hasPassword).toBe(false)
    expect(JSON.stringify(view)).not.toContain(SECRET)
    expect(JSON.stringify(unwrap(await engine.call('status.get', undefined)))).not.toContain(SECRET)
    expect(await engine.settings.listenPassword()).toBe(SECRET)
    const events = unwrap(await engine.call('events.list', { limit: 10 })).items
    expect(events[0]!.message).toContain('Submission password (replaced)')
    expect(filesHolding(engine.dataDir, SECRET)).toEqual([])

    const dataDir = engine.dataDir
    await engine.close()
    engines.pop()
    engine = await open(dataDir)
    expect(filesHolding(dataDir, SECRET)).toEqual([])
    expect(unwrap(await engine.call('settings.get', undefined)).hasListenPassword).toBe(true)
    expect(await engine.settings.listenPassword()).toBe(SECRET)
    // A save that does not mention it keeps it; null clears it.
    unwrap(await api(engine, 'settings.update', { settings }))
    expect(await engine.settings.listenPassword()).toBe(SECRET)
    unwrap(await api(engine, 'settings.update', { settings: { ...settings, listenRequireAuth: false }, listenPassword: null }))
    expect(unwrap(await engine.call('settings.get', undefined)).hasListenPassword).toBe(false)
  })
})
