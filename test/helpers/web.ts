import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { startWebServer, type WebServerOptions } from '../../src/main/web/server.ts'
import { engineWith, removeDir } from './engine.ts'

// The web adapter on loopback over a real engine, and raw HTTP requests that
// send exactly the path and headers given (fetch would normalize them).

export type Cleanups = (() => Promise<void> | void)[]

export async function serveConsole(cleanups: Cleanups, options: WebServerOptions & { site?: boolean } = {}) {
  const engine = await engineWith({}, { startWorker: false })
  let staticDir = options.staticDir
  if (options.site) {
    staticDir = join(engine.dataDir, 'site')
    mkdirSync(staticDir)
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>console</title>')
  }
  const server = await startWebServer(engine, { ...options, staticDir })
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

export function rawRequest(port: number, path: string, headers?: Record<string, string>) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }))
    })
    req.on('error', reject)
    req.end()
  })
}
