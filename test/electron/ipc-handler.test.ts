import { describe, expect, it } from 'vitest'
import type { ApiMethod, ApiParsedRequest, ApiResponse, Result } from '../../src/shared/api.ts'
import type { Engine } from '../../src/main/core/engine/engine-types.ts'
import { makeHandler } from '../../src/main/electron/ipc-handler.ts'

// An engine that answers every call with what it was given, and remembers the calls.
class RecordingEngine implements Pick<Engine, 'call'> {
  readonly calls: Array<{ method: ApiMethod; request: unknown }> = []
  failWith: Error | null = null

  async call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>> {
    this.calls.push({ method, request })
    if (this.failWith) throw this.failWith
    const data = method === 'mail.sendTest' ? { queueId: 'A1B2C3D4', messageId: '<x@mail.example.com>' } : { echoed: request }
    return { ok: true, data: data as unknown as ApiResponse<M> }
  }
}

interface FakeEvent {
  fromWindow: boolean
}
const trusted = (event: FakeEvent) => event.fromWindow

describe('makeHandler', () => {
  it('refuses a sender that is not the app window before the engine sees anything', async () => {
    const engine = new RecordingEngine()
    const handler = makeHandler(engine, 'queue.deleteAll', trusted)
    const result = await handler({ fromWindow: false }, undefined)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error.code).toBe('forbidden')
    expect(engine.calls).toEqual([])
  })

  it('returns invalid_request with per-field messages and does not call the engine', async () => {
    const engine = new RecordingEngine()
    const handler = makeHandler(engine, 'mail.sendTest', trusted)
    const result = await handler({ fromWindow: true }, { to: 'not-an-address', subject: 'Hello\r\nBcc: victim@example.com' })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('invalid_request')
    expect(Object.keys(result.error.fields ?? {}).sort()).toEqual(['subject', 'to'])
    expect(engine.calls).toEqual([])
  })

  it('passes the parsed request, defaults filled in, to the engine and returns its answer', async () => {
    const engine = new RecordingEngine()
    const handler = makeHandler(engine, 'queue.list', trusted)
    const result = await handler({ fromWindow: true }, { state: 'deferred' })
    expect(engine.calls).toEqual([{ method: 'queue.list', request: { state: 'deferred', limit: 50 } }])
    expect(result).toEqual({ ok: true, data: { echoed: { state: 'deferred', limit: 50 } } })
  })

  it('accepts null or nothing for methods without a request', async () => {
    const engine = new RecordingEngine()
    const handler = makeHandler(engine, 'status.get', trusted)
    expect((await handler({ fromWindow: true }, null)).ok).toBe(true)
    expect((await handler({ fromWindow: true }, undefined)).ok).toBe(true)
    expect(engine.calls.map((c) => c.method)).toEqual(['status.get', 'status.get'])
  })

  it('turns an engine that throws into an internal error with its message', async () => {
    const engine = new RecordingEngine()
    engine.failWith = new Error('database is locked')
    const result = await makeHandler(engine, 'queue.flush', trusted)({ fromWindow: true }, undefined)
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'database is locked' } })
  })

  it('turns a sender check that throws into an internal error, not a call', async () => {
    const engine = new RecordingEngine()
    const explode = (): boolean => {
      throw new Error('Object has been destroyed')
    }
    const result = await makeHandler(engine, 'queue.flush', explode)({ fromWindow: true }, undefined)
    expect(!result.ok && result.error.code).toBe('internal')
    expect(engine.calls).toEqual([])
  })

  it('tells the observer what came back, and an observer that fails does not spoil the answer', async () => {
    const engine = new RecordingEngine()
    const seen: Array<{ method: string; result: unknown }> = []
    const ok = makeHandler(engine, 'mail.sendTest', trusted, (method, result) => seen.push({ method, result }))
    await ok({ fromWindow: true }, { to: 'admin@example.com' })
    expect(seen).toEqual([{ method: 'mail.sendTest', result: { ok: true, data: { queueId: 'A1B2C3D4', messageId: '<x@mail.example.com>' } } }])

    const failing = makeHandler(engine, 'mail.sendTest', trusted, () => {
      throw new Error('notification service down')
    })
    const original = console.error
    console.error = () => {}
    try {
      const result = await failing({ fromWindow: true }, { to: 'admin@example.com' })
      expect(result.ok).toBe(true)
    } finally {
      console.error = original
    }
  })
})
