import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { contentSecurityPolicy as desktopPolicy } from '../../src/main/electron/csp.ts'
import { startWebServer } from '../../src/main/web/server.ts'
import { apiPath, contentSecurityPolicy, CSP_DIRECTIVES, EVENTS_PATH, TOKEN_HEADER, TOKEN_PARAM } from '../../src/shared/wire.ts'
import { engineWith, removeDir, waitFor } from '../helpers/engine.ts'

// The HTTP contract and the page's policy are written once, in shared/wire.ts:
// the desktop shell and the web adapter send the same policy, and the web
// adapter answers on the paths and header the browser's API client uses.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function serveSite() {
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
  return { engine, server, base: `http://127.0.0.1:${server.port}` }
}

describe('shared/wire.ts', () => {
  it('is the one policy: the desktop app and the web adapter send exactly its directives', async () => {
    const policy = contentSecurityPolicy({ devServer: false })
    expect(policy).toBe(CSP_DIRECTIVES.map((d) => d.join(' ')).join('; '))
    expect(desktopPolicy({ devServer: false })).toBe(policy)
    expect(desktopPolicy({ devServer: true })).toBe(contentSecurityPolicy({ devServer: true }))
    const { base } = await serveSite()
    for (const path of ['/', '/index.html', '/no/such/page']) {
      const page = await fetch(base + path)
      expect(page.status, path).toBe(200)
      expect(page.headers.get('content-security-policy'), path).toBe(policy)
    }
  })

  it('names the paths, the header and the parameter the web adapter answers on', async () => {
    const { server, base, engine } = await serveSite()
    expect(server.url).toBe(`${base}/?${TOKEN_PARAM}=${server.token}`)
    const call = await fetch(base + apiPath('status.get'), { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: '' })
    expect(call.status).toBe(200)
    expect(await call.json()).toMatchObject({ ok: true, data: { hostname: engine.settings.get().hostname } })
    const frames: string[] = []
    const stream = request(`${base}${EVENTS_PATH}?${TOKEN_PARAM}=${server.token}`, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => frames.push(chunk))
    })
    stream.end()
    cleanups.push(() => void stream.destroy())
    await waitFor(() => frames.join('').includes(': connected'), 'the event stream to open')
  })

  it('is the only place in the source that spells the policy, the token header or the event path', () => {
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f) && f !== join('shared', 'wire.ts'))
    const spelled = files.filter((f) => /frame-ancestors|x-smtp-console-token|['"`]\/api\//.test(readFileSync(join('src', f), 'utf8')))
    expect(spelled).toEqual([])
  })
})
