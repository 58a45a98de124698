import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, Result } from '../../shared/api.ts'
import type { Page } from '../../shared/types.ts'
import { createRefresher, Watchers, type Refresher } from './refresh.ts'

// One newest-first table paged by cursor (Mail Queue, Mail Log, Logs), plus the
// ten most recent rows the dashboard shows. Page one follows push events;
// deeper pages stay put and count what arrived meanwhile.

export const PAGE_SIZES = [25, 50, 100, 200] as const
export const RECENT_LIMIT = 10

export interface PagedState<T, F> {
  page: Page<T> | null
  error: ApiError | null
  loading: boolean
  limit: number
  /** The cursor that fetched the page on screen; null is the newest page. */
  cursor: string | null
  filter: F
  /** Entries appended since the page on screen was fetched, when it is not page one. */
  newEntries: number
  recent: T[] | null
  recentError: ApiError | null
  load(): Promise<void>
  next(): Promise<void>
  prev(): Promise<void>
  goNewest(): Promise<void>
  setLimit(limit: number): Promise<void>
  setFilter(filter: Partial<F>): Promise<void>
  loadRecent(): Promise<void>
  /** Marks a view as on screen; returns the function that takes it off. */
  watch(view: 'page' | 'recent'): () => void
}

export interface PagedOptions<T, F> {
  fetch(request: { cursor: string | null; limit: number; filter: F }): Promise<Result<Page<T>>>
  initialFilter: F
  /** Log tables count new entries on deeper pages; the queue refetches the page in place. */
  appendOnly: boolean
  refreshMs: number
}

export type PagedStore<T, F> = StoreApi<PagedState<T, F>> & {
  /** A push event: `count` entries were appended or the data changed. */
  notify(count?: number): void
  dispose(): void
}

/** Page one has nothing newer before it; it follows push events. */
export function isPageOne(page: Page<unknown> | null): boolean {
  return page === null || page.prevCursor === null
}

export function createPagedStore<T, F>(options: PagedOptions<T, F>): PagedStore<T, F> {
  const watchers = new Watchers<'page' | 'recent'>()
  let pageSeq = 0
  let recentSeq = 0

  const store = createStore<PagedState<T, F>>()((set, get) => {
    async function fetchPage(cursor: string | null): Promise<void> {
      const seq = ++pageSeq
      set({ loading: true })
      const { limit, filter } = get()
      const result = await options.fetch({ cursor, limit, filter })
      // A later request (Next pressed twice, a filter typed) wins over a slow one.
      if (seq !== pageSeq) return
      if (result.ok) set({ page: result.data, cursor, error: null, loading: false, newEntries: 0 })
      // A page link the engine no longer knows (it restarted, say): the newest page, not an error.
      else if (cursor !== null && result.error.fields?.cursor) await fetchPage(null)
      else set({ error: result.error, loading: false })
    }

    return {
      page: null,
      error: null,
      loading: false,
      limit: 50,
      cursor: null,
      filter: options.initialFilter,
      newEntries: 0,
      recent: null,
      recentError: null,
      load: () => fetchPage(get().cursor),
      next: async () => {
        const nextCursor = get().page?.nextCursor
        if (nextCursor) await fetchPage(nextCursor)
      },
      prev: async () => {
        const prevCursor = get().page?.prevCursor
        if (prevCursor) await fetchPage(prevCursor)
      },
      goNewest: () => fetchPage(null),
      setLimit: async (limit) => {
        set({ limit })
        await fetchPage(null)
      },
      setFilter: async (filter) => {
        set({ filter: { ...get().filter, ...filter } })
        await fetchPage(null)
      },
      loadRecent: async () => {
        const seq = ++recentSeq
        const result = await options.fetch({ cursor: null, limit: RECENT_LIMIT, filter: options.initialFilter })
        if (seq !== recentSeq) return
        if (result.ok) set({ recent: result.data.items, recentError: null })
        else set({ recentError: result.error })
      },
      watch: (view) => watchers.add(view),
    }
  })

  let pendingPage = false
  let pendingRecent = false
  const refresher: Refresher = createRefresher(options.refreshMs, () => {
    const state = store.getState()
    if (pendingPage && watchers.has('page')) {
      void (isPageOne(state.page) ? state.goNewest() : state.load())
    }
    if (pendingRecent && watchers.has('recent')) void state.loadRecent()
    pendingPage = false
    pendingRecent = false
  })

  function notify(count = 1): void {
    const state = store.getState()
    if (watchers.has('page')) {
      if (isPageOne(state.page) || !options.appendOnly) pendingPage = true
      else if (count > 0) store.setState({ newEntries: state.newEntries + count })
    }
    if (watchers.has('recent')) pendingRecent = true
    if (pendingPage || pendingRecent) refresher.request()
  }

  return Object.assign(store, { notify, dispose: () => refresher.dispose() })
}
