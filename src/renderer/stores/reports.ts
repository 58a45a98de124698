import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ApiResponse, ConsoleApi, Result } from '../../shared/api.ts'
import type { DayReport } from '../../shared/report.ts'
import { createRefresher, Watchers } from './refresh.ts'

// Day reports by local date, at the Top size the admin chose; the day on
// screen follows new mail log entries, one request in flight at a time.

export const TOP_SIZES = [10, 20, 50, 100] as const
export const DEFAULT_TOP = 20

export type ReportFormat = 'text' | 'csv' | 'csv-zip'
export type ReportFile = ApiResponse<'reports.export'>

export interface ReportEntry {
  /** The last report received for the day; kept on screen while a newer one loads. */
  report: DayReport | null
  error: ApiError | null
  loading: boolean
}

export interface ReportsState {
  /** How many entries each top list holds; shared by every day's page. */
  top: number
  byDate: Record<string, ReportEntry>
  load(date: string): Promise<void>
  setTop(top: number): void
  watch(date: string): () => void
  exportDay(date: string, format: ReportFormat): Promise<Result<ReportFile>>
}

export type ReportsStore = StoreApi<ReportsState> & { notify(): void; dispose(): void }

export function createReportsStore(api: ConsoleApi, refreshMs: number): ReportsStore {
  const watchers = new Watchers<string>()
  const watched = new Set<string>()
  const seqs = new Map<string, number>()
  const inFlight = new Set<string>()
  // Days that changed while their report was loading: fetched again once it lands.
  const stale = new Set<string>()

  const store = createStore<ReportsState>()((set, get) => ({
    top: DEFAULT_TOP,
    byDate: {},
    load: async (date) => {
      const mine = (seqs.get(date) ?? 0) + 1
      seqs.set(date, mine)
      inFlight.add(date)
      const before = get().byDate[date]
      set({ byDate: { ...get().byDate, [date]: { report: before?.report ?? null, error: null, loading: true } } })
      const result = await api['reports.day']({ date, top: get().top })
      if (seqs.get(date) !== mine) return
      inFlight.delete(date)
      const entry: ReportEntry = result.ok
        ? { report: result.data, error: null, loading: false }
        : { report: get().byDate[date]?.report ?? null, error: result.error, loading: false }
      set({ byDate: { ...get().byDate, [date]: entry } })
      if (stale.delete(date)) refresher.request()
    },
    setTop: (top) => {
      if (top !== get().top) set({ top })
    },
    watch: (date) => {
      watched.add(date)
      return watchers.add(date)
    },
    exportDay: (date, format) => api['reports.export']({ date, top: get().top, format }),
  }))

  const refresher = createRefresher(refreshMs, () => {
    for (const date of watched) {
      if (!watchers.has(date)) continue
      if (inFlight.has(date)) stale.add(date)
      else void store.getState().load(date)
    }
  })
  return Object.assign(store, {
    notify: () => {
      if ([...watched].some((d) => watchers.has(d))) refresher.request()
    },
    dispose: () => refresher.dispose(),
  })
}
