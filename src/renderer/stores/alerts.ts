import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Alert } from '../../shared/alerts.ts'
import type { ConnectionState, ConsoleApi } from '../../shared/api.ts'

// The alerts the page shows as banners: the latest of each problem until the
// all-clear or a dismiss, and whether the event stream to the engine is up.
// Events bring them as they are raised; alerts.current, read when the page
// starts and when the stream is back, brings those raised before.

export interface AlertsState {
  /** Newest last; one per kind. */
  alerts: Alert[]
  /** The ids the admin dismissed in this page: a reading of alerts.current does not bring them back. */
  dismissed: ReadonlySet<string>
  /** 'lost' while the event stream is down; 'restored' once it came back, until dismissed. */
  connection: ConnectionState | null
  receive(alert: Alert): void
  dismiss(id: string): void
  setConnection(state: ConnectionState | null): void
  /** Reads the alerts standing now (alerts.current) and merges them with what events brought. */
  load(): Promise<void>
}

export type AlertsStore = StoreApi<AlertsState>

/** The all-clear replaces the problems it ends; a problem's newer alert replaces its older one. */
function added(alerts: Alert[], alert: Alert): Alert[] {
  if (alerts.some((a) => a.id === alert.id)) return alerts
  return alert.kind === 'resolved' ? [alert] : [...alerts.filter((a) => a.kind !== alert.kind && a.kind !== 'resolved'), alert]
}

export function createAlertsStore(api: Pick<ConsoleApi, 'alerts.current'>): AlertsStore {
  // Alerts that arrived while alerts.current was asked: newer than (or as new as) its answer.
  let arrivedDuringLoad: Alert[] | null = null
  return createStore<AlertsState>()((set) => ({
    alerts: [],
    dismissed: new Set(),
    connection: null,
    receive: (alert) => {
      arrivedDuringLoad?.push(alert)
      set((s) => ({ alerts: added(s.alerts, alert) }))
    },
    dismiss: (id) => set((s) => ({ alerts: s.alerts.filter((a) => a.id !== id), dismissed: new Set([...s.dismissed, id]) })),
    setConnection: (connection) => set({ connection }),
    load: async () => {
      const arrived: Alert[] = []
      arrivedDuringLoad = arrived
      const result = await api['alerts.current']()
      if (arrivedDuringLoad === arrived) arrivedDuringLoad = null
      // Unanswered (the engine gone again): the banners stay as events left them, and the next reconnection reads again.
      if (!result.ok) return
      set((s) => {
        // The engine's list is what stands; an all-clear on screen stays until dismissed while nothing stands.
        let alerts = result.data.alerts.length ? result.data.alerts : s.alerts.filter((a) => a.kind === 'resolved')
        for (const alert of arrived) alerts = added(alerts, alert)
        return { alerts: alerts.filter((a) => !s.dismissed.has(a.id)) }
      })
    },
  }))
}
