import { createContext, useContext } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { ConsoleApi } from '../../shared/api.ts'
import { createDeliveryStore, type DeliveryStore } from './delivery.ts'
import { createEventsStore, createMailLogStore, type EventsStore, type MailLogStore } from './logs.ts'
import { createQueueSummaryStore, createQueueTableStore, type QueueSummaryStore, type QueueTableStore } from './queue.ts'
import { createReportsStore, type ReportsStore } from './reports.ts'
import { createSettingsStore, type SettingsStore } from './settings.ts'
import { createStatusStore, type StatusStore } from './status.ts'
import { createAlertsStore, type AlertsStore } from './alerts.ts'

// Every store of the console, built over one API object (the real adapter, or
// a test double), and the wiring of push events to the stores that show them.

export interface Stores {
  api: ConsoleApi
  status: StatusStore
  settings: SettingsStore
  queue: QueueTableStore
  queueSummary: QueueSummaryStore
  mailLog: MailLogStore
  events: EventsStore
  delivery: DeliveryStore
  reports: ReportsStore
  alerts: AlertsStore
  /** Subscribes the stores to the engine's push events; returns the unsubscribe. */
  connect(): () => void
}

export interface StoreOptions {
  /** Least time between two refetches of one store caused by push events. */
  refreshMs?: number
}

export function createStores(api: ConsoleApi, options: StoreOptions = {}): Stores {
  const refreshMs = options.refreshMs ?? 250
  const queue = createQueueTableStore(api, refreshMs)
  const stores = {
    api,
    status: createStatusStore(api, refreshMs),
    settings: createSettingsStore(api),
    queue,
    queueSummary: createQueueSummaryStore(api, queue, refreshMs),
    mailLog: createMailLogStore(api, refreshMs),
    events: createEventsStore(api, refreshMs),
    delivery: createDeliveryStore(api),
    reports: createReportsStore(api, refreshMs),
    alerts: createAlertsStore(api),
  }
  const connect = () => {
    // A page opened during an outage shows its alerts at once, not at the next one the throttle lets through.
    void stores.alerts.getState().load()
    const offs = [
      api.on('queue.changed', () => {
        stores.queue.notify()
        stores.queueSummary.notify()
        stores.status.notify()
      }),
      api.on('mailLog.appended', ({ count }) => {
        stores.mailLog.notify(count)
        stores.status.notify()
        stores.reports.notify()
      }),
      api.on('events.appended', ({ count }) => stores.events.notify(count)),
      api.on('delivery.progress', (progress) => stores.delivery.receive(progress)),
      api.on('queue.progress', (progress) => stores.queueSummary.getState().receiveProgress(progress)),
      api.on('settings.changed', () => {
        stores.settings.notify()
        stores.status.notify()
      }),
      api.on('alerts.raised', (alert) => stores.alerts.getState().receive(alert)),
      api.onConnection?.((state) => {
        stores.alerts.getState().setConnection(state)
        // Events sent while the stream was down are lost: what is on screen is read again.
        if (state !== 'restored') return
        void stores.alerts.getState().load()
        for (const s of [stores.status, stores.queue, stores.queueSummary, stores.reports]) s.notify()
        stores.mailLog.notify(1)
        stores.events.notify(1)
      }) ?? (() => {}),
    ]
    return () => {
      for (const off of offs) off()
      for (const s of [stores.status, stores.queue, stores.queueSummary, stores.mailLog, stores.events, stores.reports]) s.dispose()
    }
  }
  return { ...stores, connect }
}

export const StoresContext = createContext<Stores | null>(null)

export function useStores(): Stores {
  const stores = useContext(StoresContext)
  if (!stores) throw new Error('The console stores are missing: render inside <StoresContext.Provider>.')
  return stores
}

/** Reads a slice of a store and re-renders when it changes. */
export function useSlice<S, U>(store: StoreApi<S>, selector: (state: S) => U): U {
  return useStore(store, selector)
}
