import { EVENT_NAMES } from '../../shared/methods.ts'
import type { Engine } from '../core/engine/engine-types.ts'
import { eventChannel } from './preload-api.ts'

// Engine events go to the window on `event:<name>`, the channels the preload
// listens on. `send` decides whether a window is there to receive them.

export function forwardEvents(engine: Pick<Engine, 'on'>, send: (channel: string, payload: unknown) => void): () => void {
  const unsubscribers = EVENT_NAMES.map((name) => engine.on(name, (payload: unknown) => send(eventChannel(name), payload)))
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe()
  }
}
