import type { IncomingMessage, ServerResponse } from 'node:http'
import { EVENT_NAMES } from '../../shared/api.ts'
import type { Engine } from '../core/engine/engine-types.ts'

// The engine's events as server-sent events, one frame per event to every open
// stream, the same names and payloads the desktop app's IPC pushes.

export interface EventStreams {
  /** Keeps `res` open as an event stream until the browser goes away. */
  open(req: IncomingMessage, res: ServerResponse): void
  /** Ends every stream and stops listening to the engine. */
  close(): void
}

export function eventStreams(engine: Engine, heartbeatMs = 15_000): EventStreams {
  const streams = new Set<ServerResponse>()
  const unsubscribers = EVENT_NAMES.map((name) =>
    engine.on(name, (payload) => {
      const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
      for (const res of streams) res.write(frame)
    }),
  )
  // Keep idle event streams alive through proxies and detect dead ones.
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n')
  }, heartbeatMs)
  heartbeat.unref()

  return {
    open(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      streams.add(res)
      req.on('close', () => streams.delete(res))
    },
    close() {
      clearInterval(heartbeat)
      for (const off of unsubscribers) off()
      for (const res of streams) res.end()
      streams.clear()
    },
  }
}
