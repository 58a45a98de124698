import { describe, expect, it } from 'vitest'
import type { Alert, CurrentAlerts } from '../../../src/shared/alerts.ts'
import type { Result } from '../../../src/shared/api.ts'
import { createAlertsStore } from '../../../src/renderer/stores/alerts.ts'
import { createFakeApi } from '../fake-api.ts'

// The alerts store's reading of alerts.current against the events that come
// while it is asked: an alert raised after the engine answered is newer.

const alert = (kind: Alert['kind'], n: number): Alert => ({ id: `${kind}-${n}`, kind, at: 1_800_000_000_000 + n, severity: 'warning', title: kind, body: `${n} messages are waiting.`, waiting: n })

describe('the alerts store', () => {
  it('keeps what events brought while alerts.current was asked, over its answer', async () => {
    const fake = createFakeApi()
    let answer!: (r: Result<CurrentAlerts>) => void
    fake.handle('alerts.current', () => new Promise<Result<CurrentAlerts>>((resolve) => (answer = resolve)))
    const store = createAlertsStore(fake.api)
    const loading = store.getState().load()
    await Promise.resolve()
    store.getState().receive(alert('deferred', 80))
    store.getState().receive(alert('oldest', 80))
    answer({ ok: true, data: { alerts: [alert('deferred', 60), alert('queue-size', 60)], badge: { count: 60 } } })
    await loading
    expect(store.getState().alerts.map((a) => a.id)).toEqual(['queue-size-60', 'deferred-80', 'oldest-80'])

    // Unanswered (the engine gone again): the banners stay as they were.
    fake.handle('alerts.current', () => ({ ok: false, error: { code: 'internal', message: 'The connection was lost.' } }))
    await store.getState().load()
    expect(store.getState().alerts.map((a) => a.id)).toEqual(['queue-size-60', 'deferred-80', 'oldest-80'])
  })

  it('keeps an all-clear on screen while nothing stands, and drops it for a problem that stands', async () => {
    const fake = createFakeApi()
    const store = createAlertsStore(fake.api)
    store.getState().receive(alert('resolved', 0))
    await store.getState().load()
    expect(store.getState().alerts.map((a) => a.id)).toEqual(['resolved-0'])
    fake.handle('alerts.current', () => ({ ok: true, data: { alerts: [alert('deferred', 5)], badge: { count: 5 } } }))
    await store.getState().load()
    expect(store.getState().alerts.map((a) => a.id)).toEqual(['deferred-5'])
  })
})
