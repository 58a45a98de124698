// What the browser page and the web adapter agree on over HTTP, and the page's
// Content-Security-Policy, which the desktop shell and the web adapter both send:
// one place, so a path, the header or a directive cannot drift between them.

/** Every API method is POSTed to API_PREFIX + its name, e.g. /api/queue.list. */
export const API_PREFIX = '/api/'
/** The server-sent event stream; under API_PREFIX, so no method may be called "events". */
export const EVENTS_PATH = `${API_PREFIX}events`
/** A Mail Log or Logs CSV is downloaded with GET from here + the one-time link the token-checked logs.exportCsv call answered. */
export const EXPORT_PATH = `${API_PREFIX}export/`
/** The header that carries the per-run token on every API call. */
export const TOKEN_HEADER = 'x-smtp-console-token'
/** The query parameter that carries the token in the printed address and on the event stream (EventSource sends no headers). */
export const TOKEN_PARAM = 'token'

/** This computer's own engine: the system a call is for when it names none (shared/systems.ts). */
export const LOCAL_SYSTEM = 'local'
/** The header that names the system a web API call is for. */
export const SYSTEM_HEADER = 'x-smtp-console-system'
/** The same on the event stream's URL (EventSource sends no headers) and in the page's address. */
export const SYSTEM_PARAM = 'system'

/** The page's address ending that opens the Add a Postfix server dialog (the desktop app's File menu). */
export const ADD_SYSTEM_HASH = '#/?add-system=1'

/** The path a method is POSTed to. */
export function apiPath(method: string): string {
  return `${API_PREFIX}${method}`
}

/**
 * The console page loads nothing from outside the app: its own scripts and
 * styles, data: images, and no frames, plugins or base rewrites. 'self' is the
 * page's origin: smtp-console://app in the installed app, http://127.0.0.1:PORT
 * in a browser, the dev server in development.
 */
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, ...string[]]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self'", "'unsafe-inline'"],
  ['img-src', "'self'", 'data:'],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
]

/** The policy as a header value. The dev server needs one relaxation: the React refresh preamble is an inline module script. */
export function contentSecurityPolicy(options: { devServer: boolean }): string {
  return CSP_DIRECTIVES.map(([directive, ...sources]) => {
    const all = options.devServer && directive === 'script-src' ? [...sources, "'unsafe-inline'"] : sources
    return `${directive} ${all.join(' ')}`
  }).join('; ')
}
