import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startWebServer } from '../../src/main/web/server.ts'
import { engineWith, removeDir, waitFor } from '../helpers/engine.ts'

// The web adapter over real HTTP: the same API and events as the desktop
// app's IPC, behind a per-run token, on loopback only.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup() {
  const engine = await engineWith({}, { startWorker: false })
  const server = await startWebServer(engine)
  cleanups.push(async () => {
    await server.close()
    await engine.close()
    removeDir(engine.dataDir)
  })
  const base = `http://127.0.0.1:${server.port}`
  const call = (method: string, body: unknown, headers: Record<string, string> = { 'x-smtp-console-token': server.token }) =>
    fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? '' : JSON.stringify(body) })
  return { engine, server, base, call }
}

describe('web adapter', () => {
  it('prints a loopback URL carrying the token, and serves the API with it', async () => {
    const { server, call } = await setup()
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{20,}$`))
    const res = await call('status.get', undefined)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { ok: boolean; data: { mode: string; hostname: string } }
    expect(body).toMatchObject({ ok: true, data: { mode: 'direct', hostname: 'console.example.test' } })
  })

  it('refuses calls without the token, with a wrong one, and from another origin', async () => {
    const { call, server } = await setup()
    expect((await call('status.get', undefined, {})).status).toBe(401)
    expect((await call('status.get', undefined, { 'x-smtp-console-token': 'x'.repeat(server.token.length) })).status).toBe(401)
    const foreign = await call('status.get', undefined, { 'x-smtp-console-token': server.token, origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
  })

  it('parses every request with its schema: field errors come back and nothing changes', async () => {
    const { call, engine } = await setup()
    const before = engine.settings.get()
    const res = await call('settings.update', { settings: { ...before, hostname: 'not a host', relayPort: 70000 } })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { ok: false; error: { code: string; fields: Record<string, string> } }
    expect(body.error.code).toBe('invalid_request')
    expect(Object.keys(body.error.fields).sort()).toEqual(['hostname', 'relayPort'])
    expect(engine.settings.get()).toEqual(before)
    expect((await call('nope.method', undefined)).status).toBe(404)
  })

  it('refuses a Host that is not its own (DNS rebinding), the event stream without the token, and paths outside its folder', async () => {
    const { server } = await setup()
    const raw = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', reject)
        req.end()
      })
    const rebound = await raw('/api/events?token=' + server.token, { host: `attacker.example:${server.port}` })
    expect(rebound.status).toBe(421)
    expect((await raw('/api/events', { host: `127.0.0.1:${server.port}` })).status).toBe(401)
    expect((await raw('/api/events?token=wrong', { host: `localhost:${server.port}` })).status).toBe(401)
    // No static folder is configured here: nothing outside the API is served, least of all ../ paths.
    expect((await raw('/../../etc/passwd', { host: `127.0.0.1:${server.port}` })).status).toBe(404)
  })

  it('serves the built console from its folder and nothing outside it', async () => {
    const engine = await engineWith({}, { startWorker: false })
    const root = join(engine.dataDir, 'site')
    mkdirSync(root)
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>')
    writeFileSync(join(engine.dataDir, 'secret.txt'), 'not for the browser')
    const server = await startWebServer(engine, { staticDir: root })
    cleanups.push(async () => {
      await server.close()
      await engine.close()
      removeDir(engine.dataDir)
    })
    const page = await fetch(`http://127.0.0.1:${server.port}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("object-src 'none'")
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', reject)
        req.end()
      })
    // Dot segments are resolved inside the folder; an encoded slash that would climb out is refused.
    const dots = await get('/%2e%2e/secret.txt')
    expect(dots.body).not.toContain('not for the browser')
    expect((await get('/..%2fsecret.txt')).status).toBe(403)
  })

  it('answers a malformed percent-encoding in the address with 400 and a short message', async () => {
    const engine = await engineWith({}, { startWorker: false })
    const root = join(engine.dataDir, 'site')
    mkdirSync(root)
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>')
    const server = await startWebServer(engine, { staticDir: root })
    cleanups.push(async () => {
      await server.close()
      await engine.close()
      removeDir(engine.dataDir)
    })
    const get = (path: string) =>
      new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }))
        })
        req.on('error', reject)
        req.end()
      })
    for (const path of ['/%', '/%zz', '/assets/%E0%A4%A', '/%C0%AF', '/a%2', 'http://[']) {
      const res = await get(path)
      expect(res.status, path).toBe(400)
      expect(res.body, path).toMatch(/^The address is not valid: /)
      expect(res.body, path).not.toMatch(/URI malformed|internal/)
      expect(res.body.length, path).toBeLessThan(200)
    }
    // Well-formed addresses still work after the refusals.
    expect((await get('/%69ndex.html')).status).toBe(200)
  })

  it('refuses a request body over 1 MiB', async () => {
    const { call } = await setup()
    const res = await call('queue.list', { limit: 5, text: 'x'.repeat(1_100_000) })
    expect(res.status).toBe(400)
  })

  it('answers malformed JSON with a clear error', async () => {
    const { base, server } = await setup()
    const res = await fetch(`${base}/api/queue.list`, { method: 'POST', headers: { 'x-smtp-console-token': server.token }, body: '{"limit": 5' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/)
  })

  it('pushes engine events as server-sent events', async () => {
    const { server, engine, call } = await setup()
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
    await waitFor(() => frames.join('').includes('event: queue.changed'), 'a queue.changed event')
    expect(frames.join('')).toMatch(/event: delivery\.progress\ndata: \{"queueId":"[0-9A-F]{12}","stage":"queued"/)
    expect(engine.queueView.count()).toBe(1)
  })
})
