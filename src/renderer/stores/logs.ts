import type { ConsoleApi } from '../../shared/api.ts'
import type { EventEntry, EventLevel, MailLogEntry, MailLogStatus } from '../../shared/types.ts'
import { createPagedStore, type PagedStore } from './paged.ts'

// The Mail Log (one row per recipient and attempt) and Logs (system events): append-only tables.

export interface MailLogFilter {
  status: MailLogStatus | ''
  text: string
}

export interface EventsFilter {
  level: EventLevel | ''
  text: string
}

export type MailLogStore = PagedStore<MailLogEntry, MailLogFilter>
export type EventsStore = PagedStore<EventEntry, EventsFilter>

export function createMailLogStore(api: ConsoleApi, refreshMs: number): MailLogStore {
  return createPagedStore<MailLogEntry, MailLogFilter>({
    initialFilter: { status: '', text: '' },
    appendOnly: true,
    refreshMs,
    fetch: ({ cursor, limit, filter }) =>
      api['mailLog.list']({
        cursor,
        limit,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.text.trim() ? { text: filter.text.trim() } : {}),
      }),
  })
}

export function createEventsStore(api: ConsoleApi, refreshMs: number): EventsStore {
  return createPagedStore<EventEntry, EventsFilter>({
    initialFilter: { level: '', text: '' },
    appendOnly: true,
    refreshMs,
    fetch: ({ cursor, limit, filter }) =>
      api['events.list']({
        cursor,
        limit,
        ...(filter.level ? { level: filter.level } : {}),
        ...(filter.text.trim() ? { text: filter.text.trim() } : {}),
      }),
  })
}
