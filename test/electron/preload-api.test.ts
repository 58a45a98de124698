import { describe, expect, it } from 'vitest'
import { API_METHODS, EVENT_NAMES } from '../../src/shared/methods.ts'
import { buildPreloadApi, type Listener } from '../../src/main/electron/preload-api.ts'

// A stand-in for ipcRenderer: records invokes and keeps listeners per channel.
function fakeIpc() {
  const invoked: Array<[string, unknown]> = []
  const invokedWithSystem: Array<[string, unknown, string | undefined]> = []
  const listeners = new Map<string, Set<Listener>>()
  return {
    invoked,
    invokedWithSystem,
    listeners,
    invoke: async (channel: string, request: unknown, system?: string) => {
      invoked.push([channel, request])
      invokedWithSystem.push([channel, request, system])
      return { ok: true, data: channel }
    },
    on: (channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)!.add(listener)
    },
    off: (channel: string, listener: Listener) => {
      listeners.get(channel)?.delete(listener)
    },
    emit: (channel: string, payload: unknown) => {
      for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc event' }, payload)
    },
  }
}

describe('buildPreloadApi', () => {
  it('has one function per API method plus on, and nothing else', () => {
    const ipc = fakeIpc()
    const api = buildPreloadApi(ipc.invoke, ipc.on, ipc.off)
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, 'on'].sort())
    for (const key of Object.keys(api)) expect(typeof (api as unknown as Record<string, unknown>)[key]).toBe('function')
    expect('invoke' in api).toBe(false)
    expect(Object.isFrozen(api)).toBe(true)
  })

  it('sends each method on its own channel with the request unchanged', async () => {
    const ipc = fakeIpc()
    const api = buildPreloadApi(ipc.invoke, ipc.on, ipc.off)
    const result = await api['queue.hold']({ queueId: 'ABCDEF12' })
    expect(ipc.invoked).toEqual([['queue.hold', { queueId: 'ABCDEF12' }]])
    expect(result).toEqual({ ok: true, data: 'queue.hold' })
  })

  it('delivers event payloads without the IPC event, until unsubscribed', () => {
    const ipc = fakeIpc()
    const api = buildPreloadApi(ipc.invoke, ipc.on, ipc.off)
    const received: unknown[] = []
    const unsubscribe = api.on('queue.changed', (payload) => received.push(payload))
    ipc.emit('event:queue.changed', { system: 'local', payload: { reason: 'flush' } })
    unsubscribe()
    unsubscribe()
    ipc.emit('event:queue.changed', { system: 'local', payload: { reason: 'deleteAll' } })
    expect(received).toEqual([{ reason: 'flush' }])
    expect(ipc.listeners.get('event:queue.changed')?.size).toBe(0)
  })

  it('names its window’s system on every call and passes on only that system’s events', async () => {
    const ipc = fakeIpc()
    const api = buildPreloadApi(ipc.invoke, ipc.on, ipc.off, 'mail1')
    await api['queue.list']({})
    expect(ipc.invokedWithSystem).toEqual([['queue.list', {}, 'mail1']])
    const received: unknown[] = []
    api.on('queue.changed', (payload) => received.push(payload))
    ipc.emit('event:queue.changed', { system: 'local', payload: { reason: 'submit' } })
    ipc.emit('event:queue.changed', { system: 'mail1', payload: { reason: 'deleteAll' } })
    expect(received).toEqual([{ reason: 'deleteAll' }])
  })

  it('subscribes to every known event and refuses any other name', () => {
    const ipc = fakeIpc()
    const api = buildPreloadApi(ipc.invoke, ipc.on, ipc.off)
    for (const name of EVENT_NAMES) api.on(name, () => {})
    expect([...ipc.listeners.keys()].sort()).toEqual(EVENT_NAMES.map((n) => `event:${n}`).sort())
    const on = api.on as (event: string, listener: () => void) => () => void
    for (const name of ['queue.flush', 'electron-store-get-data', '__proto__', 'event:queue.changed']) {
      expect(() => on(name, () => {}), name).toThrow(TypeError)
    }
    expect(ipc.listeners.size).toBe(EVENT_NAMES.length)
  })
})
