import type { IncomingMessage, ServerResponse } from 'node:http'
import { EVENT_NAMES } from '../../shared/api.ts'
import type { SystemsHub } from '../systems/hub.ts'

// A system's events as server-sent events, one frame per event to every
// stream open for it, the same names and payloads the desktop app's IPC pushes.

export interface EventStreams {
  /** Keeps `res` open as the event stream of `system` (none: this computer's) until the browser goes away. */
  open(req: IncomingMessage, res: ServerResponse, system?: string): void
  /** Ends every stream and stops listening to the systems. */
  close(): void
}

export function eventStreams(hub: Pick<SystemsHub, 'on'>, heartbeatMs = 15_000): EventStreams {
  const streams = new Map<string, Set<ServerResponse>>()
  const unsubscribers: (() => void)[] = []
  /** Listens to a system the first time a stream is opened for it, and keeps listening. */
  function streamsOf(system: string | undefined): Set<ServerResponse> {
    const key = system ?? ''
    let set = streams.get(key)
    if (set) return set
    const open = (set = new Set<ServerResponse>())
    streams.set(key, open)
    for (const name of EVENT_NAMES) {
      unsubscribers.push(
        hub.on(
          name,
          (payload) => {
            const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
            for (const res of open) res.write(frame)
          },
          system,
        ),
      )
    }
    return open
  }
  // Keep idle event streams alive through proxies and detect dead ones.
  const heartbeat = setInterval(() => {
    for (const set of streams.values()) for (const res of set) res.write(': ping\n\n')
  }, heartbeatMs)
  heartbeat.unref()

  return {
    open(req, res, system) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      const set = streamsOf(system)
      set.add(res)
      req.on('close', () => set.delete(res))
    },
    close() {
      clearInterval(heartbeat)
      for (const off of unsubscribers) off()
      for (const set of streams.values()) for (const res of set) res.end()
      streams.clear()
    },
  }
}
