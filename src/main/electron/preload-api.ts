import { API_METHODS, EVENT_NAMES, type ApiMethod } from '../../shared/methods.ts'
import type { ConsoleApi } from '../../shared/api.ts'
import { LOCAL_SYSTEM } from '../../shared/wire.ts'

// The object the preload hands to the page: one named function per API
// method and `on` for push events, and nothing else. No generic invoke, so
// the page can reach exactly the channels listed in the shared method list.
// Imports only the method list (no zod): the sandboxed preload stays small.

export type Invoke = (channel: string, request: unknown, system?: string) => Promise<unknown>
export type Listener = (event: unknown, payload: unknown) => void
export type Subscribe = (channel: string, listener: Listener) => void

export const EVENT_CHANNEL_PREFIX = 'event:'

export function eventChannel(name: string): string {
  return EVENT_CHANNEL_PREFIX + name
}

/** An event as main sends it: which system it is from, and its payload. */
export interface SystemEvent {
  system: string
  payload: unknown
}

/**
 * `system` is the one this window shows (its address's ?system=, none for this computer's engine):
 * every call names it, and only its events reach the page.
 */
export function buildPreloadApi(invoke: Invoke, on: Subscribe, off: Subscribe, system: string = LOCAL_SYSTEM): ConsoleApi {
  const api: Record<string, unknown> = {}
  for (const method of API_METHODS) {
    api[method] = (request: unknown) => invoke(method satisfies ApiMethod, request, system)
  }
  const known: readonly string[] = EVENT_NAMES
  api.on = (event: string, listener: (payload: unknown) => void) => {
    if (!known.includes(event)) throw new TypeError(`Unknown event "${String(event)}"; the console's events are ${EVENT_NAMES.join(', ')}.`)
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.')
    // The page gets the payload only, never Electron's event object with its sender.
    const wrapped: Listener = (_event, message) => {
      const m = message as SystemEvent
      if (m.system === system) listener(m.payload)
    }
    const channel = eventChannel(event)
    on(channel, wrapped)
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      off(channel, wrapped)
    }
  }
  return Object.freeze(api) as ConsoleApi
}
