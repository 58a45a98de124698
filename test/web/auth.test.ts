import { afterEach, describe, expect, it } from 'vitest'
import { rawRequest, serveConsole, type Cleanups } from '../helpers/web.ts'

// Who may drive the console: its own Host, its own Origin, the per-run token.

const cleanups: Cleanups = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('web adapter: Host, Origin and token', () => {
  it('refuses calls without the token, with a wrong one, and from another origin', async () => {
    const { call, server } = await serveConsole(cleanups)
    expect((await call('status.get', undefined, {})).status).toBe(401)
    expect((await call('status.get', undefined, { 'x-smtp-console-token': 'x'.repeat(server.token.length) })).status).toBe(401)
    const foreign = await call('status.get', undefined, { 'x-smtp-console-token': server.token, origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
  })

  it('refuses a Host that is not its own (DNS rebinding), the event stream without the token, and paths outside its folder', async () => {
    const { server } = await serveConsole(cleanups)
    const raw = (path: string, headers: Record<string, string>) => rawRequest(server.port, path, headers)
    const rebound = await raw('/api/events?token=' + server.token, { host: `attacker.example:${server.port}` })
    expect(rebound.status).toBe(421)
    expect((await raw('/api/events', { host: `127.0.0.1:${server.port}` })).status).toBe(401)
    expect((await raw('/api/events?token=wrong', { host: `localhost:${server.port}` })).status).toBe(401)
    // No static folder is configured here: nothing outside the API is served, least of all ../ paths.
    expect((await raw('/../../etc/passwd', { host: `127.0.0.1:${server.port}` })).status).toBe(404)
  })
})
