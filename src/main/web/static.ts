import { createReadStream, existsSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'
import { contentSecurityPolicy } from '../../shared/wire.ts'
import { sendText } from './respond.ts'

// The built renderer, from its folder and nothing outside it, under the same
// Content-Security-Policy as the desktop app's page.

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

/** Serves `pathname` from `staticDir`; any path that is not a file gets index.html (the page routes by its hash). */
export function serveStatic(staticDir: string | undefined, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  if (!staticDir || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404).end('not found')
    return
  }
  const root = normalize(staticDir)
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
