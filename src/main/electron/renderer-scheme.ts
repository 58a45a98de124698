import { readFile, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, resolve } from 'node:path'

// The console's page comes from smtp-console://app/, a scheme of its own, not
// file://: a file:// page shares its origin with every file on the disk, while
// this origin holds only the built renderer (out/renderer). This module turns a
// request into a file under that folder or a refusal; it needs nothing from
// Electron, so main.ts only hands requests to it.

export const RENDERER_SCHEME = 'smtp-console'
export const RENDERER_HOST = 'app'
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`
/** The page the window loads in the installed app. */
export const RENDERER_PAGE_URL = `${RENDERER_ORIGIN}/index.html`

/**
 * standard: a real origin, so 'self' in the policy, relative URLs and module
 * scripts work as on https; secure: a secure context. Never bypassCSP (the
 * policy must hold) nor corsEnabled (no other origin may read these files).
 */
export const RENDERER_SCHEME_PRIVILEGES = Object.freeze({ standard: true, secure: true, supportFetchAPI: true, codeCache: true })

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

export function mimeTypeOf(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export type RendererFile = { status: 200; path: string; mimeType: string }
export type RendererRefusal = { status: 400 | 403 | 404; reason: string }

/**
 * The file under `root` that `url` names, or why there is none. The path is
 * read segment by segment, each decoded once: a segment that decodes to `.`,
 * `..`, a slash, a backslash, a colon (a Windows drive or stream) or NUL is
 * refused, so no spelling of a path can leave the folder. Query and hash are ignored.
 */
export async function resolveRendererFile(url: string, root: string): Promise<RendererFile | RendererRefusal> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return { status: 400, reason: 'The address does not parse.' }
  }
  if (target.protocol !== `${RENDERER_SCHEME}:` || target.host !== RENDERER_HOST) {
    return { status: 404, reason: `Only ${RENDERER_ORIGIN}/ is served here.` }
  }
  const raw = target.pathname === '/' ? ['index.html'] : target.pathname.split('/').slice(1)
  const segments: string[] = []
  for (const part of raw) {
    let segment: string
    try {
      segment = decodeURIComponent(part)
    } catch {
      return { status: 400, reason: 'The path has a malformed percent-encoding.' }
    }
    if (segment === '') return { status: 404, reason: 'No such file.' }
    if (segment === '.' || segment === '..' || /[/\\:\0]/.test(segment)) {
      return { status: 403, reason: 'The path leaves the console\'s folder.' }
    }
    segments.push(segment)
  }
  const base = resolve(root)
  const path = join(base, ...segments)
  // Belt and braces: whatever the segments were, the result must sit inside the folder.
  const inside = relative(base, path)
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return { status: 403, reason: 'The path leaves the console\'s folder.' }
  try {
    if (!(await stat(path)).isFile()) return { status: 404, reason: 'No such file.' }
  } catch {
    return { status: 404, reason: 'No such file.' }
  }
  return { status: 200, path, mimeType: mimeTypeOf(path) }
}

export interface RendererRequest {
  url: string
  method: string
  /** Set by Electron to the origin that made the request; absent when the browser made it (loading the window). */
  initiatorOrigin?: string
}

// Parsed rather than compared as text, so a serialisation with a trailing slash still counts; "null" does not parse.
function isRendererOrigin(origin: string): boolean {
  try {
    const url = new URL(origin)
    return url.protocol === `${RENDERER_SCHEME}:` && url.host === RENDERER_HOST && url.pathname.replace(/^\/$/, '') === ''
  } catch {
    return false
  }
}

/** The answer to one request on the scheme: the file with its type and the page's policy, or a plain-text refusal. */
export async function rendererResponse(request: RendererRequest, root: string, contentSecurityPolicy: string): Promise<Response> {
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
  }
  const refuse = (status: number, reason: string, extra: Record<string, string> = {}): Response =>
    new Response(request.method === 'HEAD' ? null : reason, { status, headers: { ...headers, ...extra, 'Content-Type': 'text/plain; charset=utf-8' } })

  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Only GET and HEAD are served.', { Allow: 'GET, HEAD' })
  // Another origin (a page that is not the console) gets nothing, not even a script to embed.
  if (request.initiatorOrigin !== undefined && !isRendererOrigin(request.initiatorOrigin)) {
    return refuse(403, 'Only the console itself may load its files.')
  }
  const found = await resolveRendererFile(request.url, root)
  if (found.status !== 200) return refuse(found.status, found.reason)
  let body: Uint8Array<ArrayBuffer>
  try {
    body = new Uint8Array(await readFile(found.path))
  } catch {
    return refuse(404, 'No such file.')
  }
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: { ...headers, 'Content-Type': found.mimeType, 'Content-Length': String(body.byteLength) },
  })
}
