import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Alert } from '../../shared/alerts.ts'
import type { ConnectionState } from '../../shared/api.ts'

// The alerts the page shows as banners: the latest of each problem until the
// all-clear or a dismiss, and whether the event stream to the engine is up.

export interface AlertsState {
  /** Newest last; one per kind. */
  alerts: Alert[]
  /** 'lost' while the event stream is down; 'restored' once it came back, until dismissed. */
  connection: ConnectionState | null
  receive(alert: Alert): void
  dismiss(id: string): void
  setConnection(state: ConnectionState | null): void
}

export type AlertsStore = StoreApi<AlertsState>

export function createAlertsStore(): AlertsStore {
  return createStore<AlertsState>()((set) => ({
    alerts: [],
    connection: null,
    // The all-clear replaces the problems it ends; a problem's newer alert replaces its older one.
    receive: (alert) => set((s) => ({ alerts: alert.kind === 'resolved' ? [alert] : [...s.alerts.filter((a) => a.kind !== alert.kind && a.kind !== 'resolved'), alert] })),
    dismiss: (id) => set((s) => ({ alerts: s.alerts.filter((a) => a.id !== id) })),
    setConnection: (connection) => set({ connection }),
  }))
}
