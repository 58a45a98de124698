import { EventSource } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConnectionState } from '../../../src/shared/api.ts'
import type { Alert } from '../../../src/shared/alerts.ts'
import { createWebApi } from '../../../src/renderer/api/web.ts'
import { startWebServer } from '../../../src/main/web/server.ts'
import { serveConsole } from '../../helpers/web.ts'
import { waitFor } from '../../helpers/engine.ts'

// The browser's event stream against the real web adapter: an alert arrives
// over it, the page is told once when the server goes away, and once when a
// server answers on the same address again.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('the event stream to the engine', () => {
  it('carries alerts, and says when it drops and when it is back', async () => {
    const { engine, server, base } = await serveConsole(cleanups)
    let opened = 0
    class Source extends EventSource {
      constructor(url: string) {
        super(url)
        this.addEventListener('open', () => (opened += 1))
      }
    }
    const api = createWebApi({ token: server.token, base, EventSource: Source })
    const states: ConnectionState[] = []
    const alerts: Alert[] = []
    api.onConnection!((state) => states.push(state))
    const off = api.on('alerts.raised', (a) => alerts.push(a))
    cleanups.push(off)
    await waitFor(() => opened === 1, 'the stream open')

    const sample: Alert = { id: 'x-1', kind: 'queue-size', at: Date.now(), severity: 'warning', title: 'The mail queue is growing', body: '101 messages are waiting.', waiting: 101 }
    engine.notifier.emit('alerts.raised', sample)
    await waitFor(() => alerts.length === 1, 'the alert over the stream')
    expect(alerts).toEqual([sample])
    expect(states).toEqual([])

    await server.close()
    await waitFor(() => states.length > 0, 'the drop told')
    expect(states).toEqual(['lost'])

    // The browser retries by itself (every 3 s by default); the server is back on the same port and token.
    const again = await startWebServer(engine, { port: server.port, token: server.token })
    cleanups.push(() => again.close())
    await waitFor(() => states.length === 2, 'the return told', 15_000)
    expect(states).toEqual(['lost', 'restored'])
  })
})
