import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { EVENT_NAMES, isApiMethod, parseRequest, type Result } from '../../shared/api.ts'
import { API_PREFIX, contentSecurityPolicy, EVENTS_PATH, TOKEN_HEADER, TOKEN_PARAM } from '../../shared/wire.ts'
import type { Engine } from '../core/engine/engine-types.ts'

// The same API as the desktop app's IPC, over HTTP on 127.0.0.1 for a
// browser: POST /api/<method> with the request as JSON, server-sent events on
// /api/events. A random token per run keeps other local pages and users out.

export interface WebServerOptions {
  port?: number
  /** The built renderer; omitted, only the API is served. */
  staticDir?: string
  token?: string
}

export interface WebServer {
  url: string
  token: string
  port: number
  close(): Promise<void>
}

const MAX_BODY = 1024 * 1024
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}
const CSP = contentSecurityPolicy({ devServer: false })

function sendJson(res: ServerResponse, status: number, body: Result<unknown>): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startWebServer(engine: Engine, options: WebServerOptions = {}): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const streams = new Set<ServerResponse>()
  const allowedHosts = new Set<string>()
  let port = 0
  const unsubscribers = EVENT_NAMES.map((name) =>
    engine.on(name, (payload) => {
      const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
      for (const res of streams) res.write(frame)
    }),
  )

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'internal', message: err.message } })
      else res.end()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1')
    } catch {
      // An absolute-form target that is not a URL (GET http://[ HTTP/1.1).
      return sendText(res, 400, 'The address is not valid: it is not a URL.')
    }
    // Only our own names: a page that rebinds its DNS name to 127.0.0.1 arrives with its own Host.
    const host = req.headers.host ?? ''
    if (!allowedHosts.has(host)) {
      return sendJson(res, 421, { ok: false, error: { code: 'forbidden', message: `Requests for ${host || 'no host'} are refused; use http://127.0.0.1:${port}/.` } })
    }
    // A page from another origin must not drive the console, even with the token.
    const origin = req.headers.origin
    if (origin && origin !== `http://${host}`) {
      return sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Requests from other origins are refused.' } })
    }
    if (url.pathname === EVENTS_PATH) {
      if (!tokenMatches(url.searchParams.get(TOKEN_PARAM), token)) {
        return sendJson(res, 401, { ok: false, error: { code: 'forbidden', message: 'Missing or wrong token: open the URL the console printed.' } })
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      streams.add(res)
      req.on('close', () => streams.delete(res))
      return
    }
    if (url.pathname.startsWith(API_PREFIX)) {
      const method = url.pathname.slice(API_PREFIX.length)
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'invalid_request', message: 'Use POST.' } })
      if (!tokenMatches(req.headers[TOKEN_HEADER] as string | undefined, token)) {
        return sendJson(res, 401, { ok: false, error: { code: 'forbidden', message: 'Missing or wrong token: open the URL the console printed.' } })
      }
      if (!isApiMethod(method)) return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: `No such method: ${method}` } })
      let raw: unknown
      try {
        const body = await readBody(req)
        raw = body.trim() === '' ? undefined : JSON.parse(body)
      } catch (err) {
        return sendJson(res, 400, { ok: false, error: { code: 'invalid_request', message: `The request is not valid JSON: ${(err as Error).message}` } })
      }
      const parsed = parseRequest(method, raw)
      if (!parsed.ok) return sendJson(res, 400, parsed)
      const result = await engine.call(method, parsed.data as never)
      return sendJson(res, result.ok ? 200 : statusFor(result.error.code), result)
    }
    return serveStatic(req, res, url.pathname)
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (!options.staticDir || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end('not found')
      return
    }
    const root = normalize(options.staticDir)
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      // A lone % or bytes that are not UTF-8 (GET /%): the client's mistake, not the console's.
      sendText(res, 400, 'The address is not valid: each % must start a %XX escape of UTF-8 text.')
      return
    }
    let file = normalize(join(root, decoded))
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden')
      return
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html')
    if (!existsSync(file)) {
      res.writeHead(404).end('The console is not built: run npm run build:web.')
      return
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
    })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  }

  // Keep idle event streams alive through proxies and detect dead ones.
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n')
  }, 15_000)
  heartbeat.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  allowedHosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`)
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    token,
    port,
    close: async () => {
      clearInterval(heartbeat)
      for (const off of unsubscribers) off()
      for (const res of streams) res.end()
      streams.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function statusFor(code: string): number {
  switch (code) {
    case 'invalid_request':
      return 400
    case 'forbidden':
      return 403
    case 'not_found':
      return 404
    case 'conflict':
      return 409
    default:
      return 500
  }
}
