import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { API_PREFIX, EVENTS_PATH, EXPORT_PATH, TOKEN_PARAM } from '../../shared/wire.ts'
import type { Engine } from '../core/engine/engine-types.ts'
import { SYSTEM_PARAM } from '../../shared/systems.ts'
import { SystemsHub } from '../systems/hub.ts'
import { routeApiCall } from './api-route.ts'
import { WebAuth } from './auth.ts'
import { sendJson, sendText } from './respond.ts'
import { eventStreams } from './sse.ts'
import { serveStatic } from './static.ts'
import { serveExport } from './export-route.ts'

// The same API as the desktop app's IPC, over HTTP on 127.0.0.1 for a
// browser: POST /api/<method> with the request as JSON, server-sent events on
// /api/events. A random token per run keeps other local pages and users out.
// This file only wires the parts: auth.ts, api-route.ts, sse.ts, static.ts.

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

/** Serves every system of `target`; an engine alone is served as this computer's, with the systems its data directory lists. */
export async function startWebServer(target: Engine | SystemsHub, options: WebServerOptions = {}): Promise<WebServer> {
  const hub = target instanceof SystemsHub ? target : new SystemsHub({ dataDir: target.dataDir, local: target })
  const auth = new WebAuth(options.token)
  const events = eventStreams(hub)

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
    const foreign = auth.foreignRequest(req)
    if (foreign) return sendJson(res, foreign.status, foreign.body)
    if (url.pathname === EVENTS_PATH) {
      const refused = auth.streamWithoutToken(url)
      if (refused) return sendJson(res, refused.status, refused.body)
      return events.open(req, res, url.searchParams.get(SYSTEM_PARAM) || undefined)
    }
    if (url.pathname.startsWith(EXPORT_PATH)) return serveExport(hub, req, res, url.pathname.slice(EXPORT_PATH.length))
    if (url.pathname.startsWith(API_PREFIX)) return routeApiCall(hub, auth, req, res, url.pathname)
    return serveStatic(options.staticDir, req, res, url.pathname)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  auth.listeningOn(port)
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${auth.token}`,
    token: auth.token,
    port,
    close: async () => {
      events.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
