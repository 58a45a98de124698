import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ApiResponse, ConsoleApi, Result } from '../../shared/api.ts'
import type { QueueEntry, QueueFilterAction, QueueFilter as WireFilter, QueueProgress, QueueState, QueueSummary } from '../../shared/types.ts'
import { createPagedStore, type PagedStore } from './paged.ts'
import { createRefresher, Watchers } from './refresh.ts'

// The Mail Queue table, the queue summary of Delete Queue and Flush Queue, and
// the actions on one message or on all of them.

export interface QueueFilter {
  state: QueueState | ''
  text: string
  /** Recipient domain, sender text and age in minutes, as typed. */
  domain: string
  sender: string
  olderThanMinutes: string
}

export const EMPTY_QUEUE_FILTER: QueueFilter = { state: '', text: '', domain: '', sender: '', olderThanMinutes: '' }

/** The filter as the API takes it: blank fields left out, the age a number. */
export function wireFilter(filter: QueueFilter): WireFilter {
  const age = filter.olderThanMinutes.trim()
  return {
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.text.trim() ? { text: filter.text.trim() } : {}),
    ...(filter.domain.trim() ? { domain: filter.domain.trim() } : {}),
    ...(filter.sender.trim() ? { sender: filter.sender.trim() } : {}),
    // A typed age that is not a number goes to the API as one, which refuses it in words.
    ...(age ? { olderThanMinutes: Number(age) } : {}),
  }
}

export type QueueTableStore = PagedStore<QueueEntry, QueueFilter>

export interface QueueSummaryState {
  summary: QueueSummary | null
  error: ApiError | null
  load(): Promise<void>
  watch(): () => void
  deleteAll(): Promise<Result<ApiResponse<'queue.deleteAll'>>>
  flush(): Promise<Result<ApiResponse<'queue.flush'>>>
  remove(queueId: string): Promise<Result<ApiResponse<'queue.delete'>>>
  hold(queueId: string): Promise<Result<QueueEntry>>
  release(queueId: string): Promise<Result<QueueEntry>>
  retry(queueId: string): Promise<Result<QueueEntry>>
  source(queueId: string): Promise<Result<ApiResponse<'queue.source'>>>
  detail(queueId: string): Promise<Result<ApiResponse<'queue.get'>>>
  countMatching(filter: QueueFilter): Promise<Result<ApiResponse<'queue.countMatching'>>>
  actOnMatching(filter: QueueFilter, action: QueueFilterAction): Promise<Result<ApiResponse<'queue.actOnMatching'>>>
  /** The bulk action running now (or the last one, finished), from queue.progress events. */
  progress: QueueProgress | null
  receiveProgress(progress: QueueProgress): void
}

export type QueueSummaryStore = StoreApi<QueueSummaryState> & { notify(): void; dispose(): void }

export function createQueueTableStore(api: ConsoleApi, refreshMs: number): QueueTableStore {
  return createPagedStore<QueueEntry, QueueFilter>({
    initialFilter: EMPTY_QUEUE_FILTER,
    appendOnly: false,
    refreshMs,
    fetch: ({ cursor, limit, filter }) =>
      api['queue.list']({ cursor, limit, ...wireFilter(filter) }),
  })
}

export function createQueueSummaryStore(api: ConsoleApi, table: QueueTableStore, refreshMs: number): QueueSummaryStore {
  const watchers = new Watchers<'summary'>()
  let seq = 0
  // After an action the table is refetched at once rather than waiting for the push event.
  const afterAction = <R>(result: R): R => {
    void table.getState().load()
    if (watchers.has('summary')) void store.getState().load()
    return result
  }
  const store = createStore<QueueSummaryState>()((set) => ({
    summary: null,
    error: null,
    load: async () => {
      const mine = ++seq
      const result = await api['queue.summary']()
      if (mine !== seq) return
      if (result.ok) set({ summary: result.data, error: null })
      else set({ error: result.error })
    },
    watch: () => watchers.add('summary'),
    deleteAll: async () => afterAction(await api['queue.deleteAll']()),
    flush: async () => afterAction(await api['queue.flush']()),
    remove: async (queueId) => afterAction(await api['queue.delete']({ queueId })),
    hold: async (queueId) => afterAction(await api['queue.hold']({ queueId })),
    release: async (queueId) => afterAction(await api['queue.release']({ queueId })),
    retry: async (queueId) => afterAction(await api['queue.retry']({ queueId })),
    source: (queueId) => api['queue.source']({ queueId }),
    detail: (queueId) => api['queue.get']({ queueId }),
    countMatching: (filter) => api['queue.countMatching']({ filter: wireFilter(filter) }),
    actOnMatching: async (filter, action) => afterAction(await api['queue.actOnMatching']({ filter: wireFilter(filter), action })),
    progress: null,
    receiveProgress: (progress) => set({ progress }),
  }))
  const refresher = createRefresher(refreshMs, () => {
    if (watchers.has('summary')) void store.getState().load()
  })
  return Object.assign(store, {
    notify: () => {
      if (watchers.has('summary')) refresher.request()
    },
    dispose: () => refresher.dispose(),
  })
}
