import type { ApiEvents, ConnectionState, ConsoleApi, Result } from '../../shared/api.ts'
import { API_METHODS, EVENT_NAMES } from '../../shared/methods.ts'
import { apiPath, EVENTS_PATH, SYSTEM_HEADER, SYSTEM_PARAM, TOKEN_HEADER, TOKEN_PARAM } from '../../shared/wire.ts'

// The console in a browser: the same ConsoleApi over HTTP (one POST per
// method) and server-sent events, protected by the per-run token the web
// adapter printed in the URL.

const TOKEN_KEY = 'smtp-console-token'

export const LOST_CONTACT = 'The console lost contact with the engine. Check that the SMTP Console server is still running, then reload the page.'

interface TokenPlace {
  location: { href: string }
  history: { state: unknown; replaceState(data: unknown, unused: string, url?: string): void }
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void }
}

/** Takes the token from `?token=` on first load, keeps it for this tab, and removes it from the address bar. */
export function takeToken(place: TokenPlace): string {
  const url = new URL(place.location.href)
  const fromUrl = url.searchParams.get(TOKEN_PARAM)
  if (fromUrl) {
    place.sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete(TOKEN_PARAM)
    place.history.replaceState(place.history.state, '', `${url.pathname}${url.search}${url.hash}`)
    return fromUrl
  }
  return place.sessionStorage.getItem(TOKEN_KEY) ?? ''
}

interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void
  close(): void
}

export interface WebApiOptions {
  token: string
  /** The system every call and the event stream are for; none is this computer's engine. */
  system?: string | undefined
  /** Origin and path before `/api`; empty for the page's own server. */
  base?: string
  fetch?: typeof fetch
  EventSource?: new (url: string) => EventSourceLike
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false
  const v = value as { ok: unknown; error?: { message?: unknown } }
  return v.ok === true || (v.ok === false && typeof v.error?.message === 'string')
}

export function createWebApi(options: WebApiOptions): ConsoleApi {
  const base = options.base ?? ''
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const Source = options.EventSource ?? globalThis.EventSource

  async function call(method: string, request: unknown): Promise<Result<unknown>> {
    let response: Response
    try {
      response = await doFetch(`${base}${apiPath(method)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: options.token, ...(options.system ? { [SYSTEM_HEADER]: options.system } : {}) },
        body: JSON.stringify(request === undefined ? null : request),
      })
    } catch {
      return { ok: false, error: { code: 'internal', message: LOST_CONTACT } }
    }
    let body: unknown
    try {
      body = await response.json()
    } catch {
      body = undefined
    }
    if (isResult(body)) return body
    return {
      ok: false,
      error: { code: 'internal', message: `The engine answered ${method} with HTTP ${response.status} and no result. ${LOST_CONTACT}` },
    }
  }

  // One event stream for the page, opened on the first subscription.
  const listeners = new Map<string, Set<(payload: never) => void>>()
  let source: EventSourceLike | null = null
  // The stream reconnects by itself; the page is told when it drops and when it is back, once each.
  const connection = new Set<(state: ConnectionState) => void>()
  let lost = false
  const tell = (state: ConnectionState) => {
    lost = state === 'lost'
    for (const listener of connection) listener(state)
  }

  function open(): void {
    if (source || !Source) return
    const system = options.system ? `&${SYSTEM_PARAM}=${encodeURIComponent(options.system)}` : ''
    source = new Source(`${base}${EVENTS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(options.token)}${system}`)
    source.addEventListener('error', () => {
      if (!lost) tell('lost')
    })
    source.addEventListener('open', () => {
      if (lost) tell('restored')
    })
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        let payload: unknown
        try {
          payload = JSON.parse(String(event.data))
        } catch {
          return
        }
        for (const listener of listeners.get(name) ?? []) (listener as (p: unknown) => void)(payload)
      })
    }
  }

  const api: Record<string, unknown> = {}
  for (const method of API_METHODS) api[method] = (request: unknown) => call(method, request)
  api.on = <E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void) => {
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    open()
    return () => {
      set.delete(listener)
      if ([...listeners.values()].every((s) => s.size === 0) && source) {
        source.close()
        source = null
      }
    }
  }
  api.onConnection = (listener: (state: ConnectionState) => void) => {
    connection.add(listener)
    return () => connection.delete(listener)
  }
  return api as ConsoleApi
}
