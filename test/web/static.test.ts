import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { rawRequest, serveConsole, type Cleanups } from '../helpers/web.ts'

// The built console from its folder, and nothing outside it.

const cleanups: Cleanups = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('web adapter: the built console', () => {
  it('serves the built console from its folder and nothing outside it', async () => {
    const { engine, server } = await serveConsole(cleanups, { site: true })
    writeFileSync(join(engine.dataDir, 'secret.txt'), 'not for the browser')
    const page = await fetch(`http://127.0.0.1:${server.port}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("object-src 'none'")
    const get = (path: string) => rawRequest(server.port, path)
    // Dot segments are resolved inside the folder; an encoded slash that would climb out is refused.
    const dots = await get('/%2e%2e/secret.txt')
    expect(dots.body).not.toContain('not for the browser')
    expect((await get('/..%2fsecret.txt')).status).toBe(403)
  })

  it('answers a malformed percent-encoding in the address with 400 and a short message', async () => {
    const { server } = await serveConsole(cleanups, { site: true })
    const get = (path: string) => rawRequest(server.port, path)
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
})
