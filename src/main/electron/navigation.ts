import { RENDERER_SCHEME } from './renderer-scheme.ts'

// Which URLs belong to the console and which leave it. The window shows one
// page, the renderer's index.html on smtp-console://app (or the dev server in
// development); any other navigation is refused, file:// included, and only
// https and mailto links go to the system's browser or mail program.

/** Whether `url` is the console's own page: the same page on the app's scheme, or the dev server's origin. */
export function isAppUrl(url: string, appUrl: string): boolean {
  const target = parse(url)
  const app = parse(appUrl)
  if (!target || !app) return false
  // Compared part by part: WHATWG URL gives a custom scheme the origin "null", which would match any other.
  if (app.protocol === `${RENDERER_SCHEME}:`) {
    return target.protocol === app.protocol && target.host === app.host && target.port === app.port && target.pathname === app.pathname
  }
  if (app.protocol === 'http:' || app.protocol === 'https:') return target.origin === app.origin
  return false
}

const EXTERNAL_SCHEMES = new Set(['https:', 'mailto:'])

/** The URL to hand to the operating system, or null when the link must go nowhere. */
export function externalTarget(url: string): string | null {
  const target = parse(url)
  if (!target || !EXTERNAL_SCHEMES.has(target.protocol)) return null
  if (target.protocol === 'https:' && (target.username !== '' || target.password !== '')) return null
  return target.href
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}
