import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiRequest, type ApiResponse, type Result } from '../../../src/shared/api.ts'
import type { EngineMethod as ApiMethod } from '../../../src/shared/methods.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// settings.preview and settings.undo on the embedded engine: the preview names
// the changed fields by label and never a secret; undo is a Postfix server's.

const PASSWORD = 'Hv8-preview-pass-2290'

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(): Promise<CoreEngine> {
  const dir = tempDir()
  dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function api<M extends ApiMethod>(engine: CoreEngine, method: M, raw: ApiRequest<M>): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return engine.call(method, parsed.data)
}

const relay = testSettings({ relayHost: 'smtp.example.test', relayPort: 587, useTls: true, useSasl: true, username: 'ops' })

describe('settings.preview and settings.undo on the embedded engine', () => {
  it('lists exactly the changed fields by their labels, the password only as set / not set, and saves nothing', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay, password: PASSWORD }))
    const fileBefore = readFileSync(join(engine.dataDir, 'settings.json'))

    const { changes } = unwrap(await api(engine, 'settings.preview', { settings: { ...relay, relayHost: 'relay2.example.test', relayPort: null, useTls: false }, password: 'Another-pass-1' }))
    expect(changes).toEqual([
      { name: 'Use TLS', from: 'on', to: 'off' },
      { name: 'Relay Host', from: 'smtp.example.test', to: 'relay2.example.test' },
      { name: 'Relay Port', from: '587', to: '' },
      { name: 'Password', from: 'set', to: 'set' },
    ])
    expect(JSON.stringify(changes)).not.toContain(PASSWORD)
    expect(JSON.stringify(changes)).not.toContain('Another-pass-1')
    expect(readFileSync(join(engine.dataDir, 'settings.json'))).toEqual(fileBefore)

    const same = unwrap(await api(engine, 'settings.preview', { settings: relay }))
    expect(same.changes).toEqual([])
    const cleared = unwrap(await api(engine, 'settings.preview', { settings: { ...relay, useSasl: false }, password: null }))
    expect(cleared.changes).toEqual([
      { name: 'Use SASL Authorization', from: 'on', to: 'off' },
      { name: 'Password', from: 'set', to: 'not set' },
    ])
  })

  it('refuses bad input with the field, as settings.update does', async () => {
    const engine = await open()
    const r = await api(engine, 'settings.preview', { settings: { ...relay, hostname: 'mail' } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.fields?.hostname).toMatch(/fully qualified domain name/)
  })

  it("answers undo with a conflict that says it is a Postfix server's, and changes nothing", async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: relay, password: PASSWORD }))
    const before = unwrap(await engine.call('settings.get', undefined))
    const r = await engine.call('settings.undo', undefined)
    expect(r).toEqual({ ok: false, error: { code: 'conflict', message: "Undo applies to a Postfix server's main.cf; this system keeps its settings itself." } })
    expect(unwrap(await engine.call('settings.get', undefined))).toEqual(before)
  })
})
