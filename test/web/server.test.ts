import { afterEach, describe, expect, it } from 'vitest'
import { serveConsole, type Cleanups } from '../helpers/web.ts'

// The web adapter over real HTTP: the same API and events as the desktop
// app's IPC, behind a per-run token, on loopback only. Each part has its own
// file (auth, api-route, static, sse); this one checks the wiring.

const cleanups: Cleanups = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('web adapter', () => {
  it('prints a loopback URL carrying the token, and serves the API with it', async () => {
    const { server, call } = await serveConsole(cleanups)
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{20,}$`))
    const res = await call('status.get', undefined)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { ok: boolean; data: { mode: string; hostname: string } }
    expect(body).toMatchObject({ ok: true, data: { mode: 'direct', hostname: 'console.example.test' } })
  })
})
