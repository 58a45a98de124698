import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { serveConsole } from '../helpers/web.ts'

// Export CSV in a browser: the token-checked API call answers a one-time
// link, and following it downloads the CSV, streamed, over real HTTP.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup() {
  const { engine, server, base, call: api } = await serveConsole(cleanups)
  const call = (body: unknown, headers?: Record<string, string>) => api('logs.exportCsv', body, headers)
  // 12,000 rows: the download spans three pages of the export.
  engine.db.exec('BEGIN')
  for (let i = 0; i < 12_000; i++) {
    engine.mailLog.append({ at: Date.UTC(2030, 0, 1) + i * 1000, queueId: (0xb00000000000 + i).toString(16).toUpperCase(), sender: 'alerts@example.test', recipient: `user${i}@${i % 2 ? 'odd' : 'even'}.example.net`, status: i % 4 === 0 ? 'deferred' : 'sent', reply: i % 4 === 0 ? '451 4.7.1 Greylisted, "later"' : '250 ok' })
  }
  engine.db.exec('COMMIT')
  return { engine, server, base, call }
}

async function expected(engine: Awaited<ReturnType<typeof setup>>['engine'], req: Parameters<typeof engine.exportCsv>[0]): Promise<string> {
  let out = ''
  for await (const c of engine.exportCsv(req).chunks) out += c
  return out
}

describe('GET /api/export/<link>', () => {
  it('downloads the filtered log as a CSV attachment, once', async () => {
    const { engine, base, call } = await setup()
    const made = await call({ log: 'mailLog', status: 'deferred', text: 'even.example' })
    expect(made.status).toBe(200)
    const result = (await made.json()) as { ok: true; data: { kind: string; filename: string; href: string } }
    expect(result.data).toMatchObject({ kind: 'download', filename: expect.stringMatching(/^smtp-mail-log-\d{4}-\d{2}-\d{2}\.csv$/) })
    expect(result.data.href).toMatch(/^\/api\/export\/[A-Za-z0-9_-]{22}$/)
    expect(result.data.href).not.toContain(engine.dataDir)

    const res = await fetch(`${base}${result.data.href}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${result.data.filename}"`)
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    const body = await res.text()
    expect(body).toBe(await expected(engine, { log: 'mailLog', status: 'deferred', text: 'even.example' }))
    // Every 4th row is deferred, and of those every one is even: 3,000 rows and the header.
    expect(body.split('\r\n').filter(Boolean)).toHaveLength(3001)

    const again = await fetch(`${base}${result.data.href}`)
    expect(again.status).toBe(404)
    expect(await again.text()).toMatch(/used already or is out of date/)
  })

  it('needs the token to make a link; a made-up link, another Host or another method gets nothing', async () => {
    const { server, base, call } = await setup()
    expect((await call({ log: 'events' }, {})).status).toBe(401)
    expect((await call({ log: 'events' }, { 'x-smtp-console-token': 'x'.repeat(server.token.length) })).status).toBe(401)
    const bad = await call({ log: 'events', status: 'sent' })
    expect(bad.status).toBe(400)
    expect((await fetch(`${base}/api/export/${'A'.repeat(22)}`)).status).toBe(404)
    expect((await fetch(`${base}/api/export/../../etc/passwd`)).status).toBe(404)

    const { data } = (await (await call({ log: 'events' })).json()) as { data: { href: string } }
    const posted = await fetch(`${base}${data.href}`, { method: 'POST' })
    expect(posted.status).toBe(405)
    // DNS rebinding: the page's own name, not ours.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: data.href, headers: { host: 'evil.example:80' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    // The link refused above was not spent by the refusals.
    expect((await fetch(`${base}${data.href}`)).status).toBe(200)
  })

  it('a browser that stops the download stops the export, and the console keeps answering', async () => {
    const { server, base, call } = await setup()
    const { data } = (await (await call({ log: 'mailLog' })).json()) as { data: { href: string } }
    const controller = new AbortController()
    const res = await fetch(`${base}${data.href}`, { signal: controller.signal })
    const reader = res.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    controller.abort()
    await reader.read().catch(() => undefined)
    const status = await fetch(`${base}/api/status.get`, { method: 'POST', headers: { 'x-smtp-console-token': server.token } })
    expect(status.status).toBe(200)
  })
})
