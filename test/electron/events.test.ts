import { describe, expect, it } from 'vitest'
import type { ApiEvents } from '../../src/shared/api.ts'
import { EVENT_NAMES } from '../../src/shared/methods.ts'
import type { Engine } from '../../src/main/core/engine/engine-types.ts'
import { forwardEvents } from '../../src/main/electron/events.ts'
import { SystemsHub } from '../../src/main/systems/hub.ts'
import { removeDir, tempDir } from '../helpers/engine.ts'

// A small event source with the engine's `on`: listeners per event, removable.
class EventSource implements Pick<Engine, 'on'> {
  readonly listeners = new Map<string, Set<(payload: never) => void>>()

  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set())
    this.listeners.get(event)!.add(listener)
    return () => this.listeners.get(event)!.delete(listener)
  }

  emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (p: ApiEvents[E]) => void)(payload)
  }
}

describe('forwardEvents', () => {
  it('sends every engine event to the window on event:<name> with the system it is from, until stopped', () => {
    const engine = new EventSource()
    const dir = tempDir()
    const hub = new SystemsHub({ dataDir: dir, local: Object.assign(engine, { dataDir: dir }) as unknown as Engine })
    const sent: Array<[string, unknown]> = []
    const stop = forwardEvents(hub, (channel, payload) => sent.push([channel, payload]))
    expect([...engine.listeners.keys()].sort()).toEqual([...EVENT_NAMES].sort())

    engine.emit('queue.changed', { reason: 'submit' })
    engine.emit('mailLog.appended', { count: 3 })
    expect(sent).toEqual([
      ['event:queue.changed', { system: 'local', payload: { reason: 'submit' } }],
      ['event:mailLog.appended', { system: 'local', payload: { count: 3 } }],
    ])

    stop()
    engine.emit('queue.changed', { reason: 'flush' })
    expect(sent).toHaveLength(2)
    for (const set of engine.listeners.values()) expect(set.size).toBe(0)
    removeDir(dir)
  })
})
