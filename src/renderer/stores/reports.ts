import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ConsoleApi } from '../../shared/api.ts'
import type { DayReport } from '../../shared/report.ts'
import { createRefresher, Watchers } from './refresh.ts'

// Day reports by local date; the day on screen follows new mail log entries.

export interface ReportEntry {
  report: DayReport | null
  error: ApiError | null
  loading: boolean
}

export interface ReportsState {
  byDate: Record<string, ReportEntry>
  load(date: string): Promise<void>
  watch(date: string): () => void
}

export type ReportsStore = StoreApi<ReportsState> & { notify(): void; dispose(): void }

export function createReportsStore(api: ConsoleApi, refreshMs: number): ReportsStore {
  const watchers = new Watchers<string>()
  const watched = new Set<string>()
  const seqs = new Map<string, number>()
  const store = createStore<ReportsState>()((set, get) => ({
    byDate: {},
    load: async (date) => {
      const mine = (seqs.get(date) ?? 0) + 1
      seqs.set(date, mine)
      const before = get().byDate[date]
      set({ byDate: { ...get().byDate, [date]: { report: before?.report ?? null, error: null, loading: true } } })
      const result = await api['reports.day']({ date })
      if (seqs.get(date) !== mine) return
      const entry: ReportEntry = result.ok
        ? { report: result.data, error: null, loading: false }
        : { report: before?.report ?? null, error: result.error, loading: false }
      set({ byDate: { ...get().byDate, [date]: entry } })
    },
    watch: (date) => {
      watched.add(date)
      return watchers.add(date)
    },
  }))
  const refresher = createRefresher(refreshMs, () => {
    for (const date of watched) if (watchers.has(date)) void store.getState().load(date)
  })
  return Object.assign(store, {
    notify: () => {
      if ([...watched].some((d) => watchers.has(d))) refresher.request()
    },
    dispose: () => refresher.dispose(),
  })
}
