import { EventEmitter } from 'node:events'
import type { ApiEvents } from '../../../shared/api.ts'

// The engine's push events. Change notices are coalesced, at most one of each
// kind per interval, so a burst of deliveries does not flood the window.

/** Push events are coalesced: at most one of each kind per this many ms. */
const EMIT_INTERVAL_MS = 150

export type CoalescedEvent = 'queue.changed' | 'mailLog.appended' | 'events.appended'

export class Notifier {
  private readonly emitter = new EventEmitter()
  private pending = new Map<CoalescedEvent, number>()
  private timer: NodeJS.Timeout | null = null

  constructor() {
    this.emitter.setMaxListeners(100)
  }

  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.emitter.on(event, listener)
    return () => this.emitter.off(event, listener)
  }

  /** How many listeners an event has (tests check none is left behind). */
  listenerCount(event: keyof ApiEvents): number {
    return this.emitter.listenerCount(event)
  }

  /** Sends an event now (progress of a watched delivery, a settings change). */
  emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    this.emitter.emit(event, payload)
  }

  /** Notes `count` changes of a kind; they are sent as one event within the interval. */
  soon(event: CoalescedEvent, count = 1): void {
    this.pending.set(event, (this.pending.get(event) ?? 0) + count)
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      const pending = this.pending
      this.pending = new Map()
      for (const [name, n] of pending) {
        if (name === 'queue.changed') this.emitter.emit(name, { reason: 'changed' })
        else this.emitter.emit(name, { count: n })
      }
    }, EMIT_INTERVAL_MS)
    this.timer.unref()
  }

  /** Drops what is pending and every listener. */
  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.emitter.removeAllListeners()
  }
}
