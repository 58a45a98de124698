import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/engine.ts'
import { serveConsole, type Cleanups } from '../helpers/web.ts'

// The engine's events as server-sent events.

const cleanups: Cleanups = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('web adapter: events', () => {
  it('pushes engine events as server-sent events', async () => {
    const { server, engine, call } = await serveConsole(cleanups)
    const frames: string[] = []
    const req = request(`http://127.0.0.1:${server.port}/api/events?token=${server.token}`, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => frames.push(chunk))
    })
    req.end()
    cleanups.push(() => void req.destroy())
    await waitFor(() => frames.join('').includes(': connected'), 'the event stream to open')
    const res = await call('mail.sendTest', { to: 'admin@example.net' })
    expect(res.status).toBe(200)
    // Each event is sent as it happens, in its own frame: waited for one by one, not in an assumed order.
    await waitFor(() => frames.join('').includes('event: queue.changed'), 'a queue.changed event')
    await waitFor(() => /event: delivery\.progress\ndata: \{"queueId":"[0-9A-F]{12}","stage":"queued"/.test(frames.join('')), 'the delivery.progress event of the queued message')
    expect(engine.queueView.count()).toBe(1)
  })
})
