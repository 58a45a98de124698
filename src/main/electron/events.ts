import type { SystemsHub } from '../systems/hub.ts'
import { eventChannel, type SystemEvent } from './preload-api.ts'

// Every system's events go to the window on `event:<name>`, the channels the
// preload listens on, each with the system it is from (the preload passes on
// those of the system the window shows). `send` decides whether a window is
// there to receive them.

export function forwardEvents(hub: Pick<SystemsHub, 'onEveryEvent'>, send: (channel: string, message: SystemEvent) => void): () => void {
  const unsubscribers = [hub.onEveryEvent((system, name, payload) => send(eventChannel(name), { system, payload }))]
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe()
  }
}
