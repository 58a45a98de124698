import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ConsoleApi } from '../../shared/api.ts'
import type { Status } from '../../shared/types.ts'
import { createRefresher, Watchers } from './refresh.ts'

// The configuration at a glance and the queue counts of the dashboard.

export interface StatusState {
  status: Status | null
  error: ApiError | null
  load(): Promise<void>
  watch(): () => void
}

export type StatusStore = StoreApi<StatusState> & { notify(): void; dispose(): void }

export function createStatusStore(api: ConsoleApi, refreshMs: number): StatusStore {
  const watchers = new Watchers<'status'>()
  let seq = 0
  const store = createStore<StatusState>()((set) => ({
    status: null,
    error: null,
    load: async () => {
      const mine = ++seq
      const result = await api['status.get']()
      if (mine !== seq) return
      if (result.ok) set({ status: result.data, error: null })
      else set({ error: result.error })
    },
    watch: () => watchers.add('status'),
  }))
  const refresher = createRefresher(refreshMs, () => {
    if (watchers.has('status')) void store.getState().load()
  })
  return Object.assign(store, {
    notify: () => {
      if (watchers.has('status')) refresher.request()
    },
    dispose: () => refresher.dispose(),
  })
}
