import { afterEach, describe, expect, it } from 'vitest'
import { serveConsole, type Cleanups } from '../helpers/web.ts'

// POST /api/<method>: each request parsed with its schema, the engine's Result back.

const cleanups: Cleanups = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('web adapter: API calls', () => {
  it('parses every request with its schema: field errors come back and nothing changes', async () => {
    const { call, engine } = await serveConsole(cleanups)
    const before = engine.settings.get()
    const res = await call('settings.update', { settings: { ...before, hostname: 'not a host', relayPort: 70000 } })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { ok: false; error: { code: string; fields: Record<string, string> } }
    expect(body.error.code).toBe('invalid_request')
    expect(Object.keys(body.error.fields).sort()).toEqual(['hostname', 'relayPort'])
    expect(engine.settings.get()).toEqual(before)
    expect((await call('nope.method', undefined)).status).toBe(404)
  })

  it('refuses a request body over 1 MiB', async () => {
    const { call } = await serveConsole(cleanups)
    const res = await call('queue.list', { limit: 5, text: 'x'.repeat(1_100_000) })
    expect(res.status).toBe(400)
  })

  it('answers malformed JSON with a clear error', async () => {
    const { base, server } = await serveConsole(cleanups)
    const res = await fetch(`${base}/api/queue.list`, { method: 'POST', headers: { 'x-smtp-console-token': server.token }, body: '{"limit": 5' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/)
  })
})
