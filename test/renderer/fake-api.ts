import { API_METHODS, parseRequest, type ApiEvents, type ApiMethod, type ApiRequest, type ApiResponse, type ConsoleApi, type Result } from '../../src/shared/api.ts'
import { DEFAULT_SETTINGS, type SettingsView } from '../../src/shared/settings.ts'
import type { DayReport, ReportTotals } from '../../src/shared/report.ts'
import type { EventEntry, MailLogEntry, Page, QueueEntry, QueueState, Status } from '../../src/shared/types.ts'

// An in-memory stand-in for the engine behind the console's own API object:
// enough behaviour (paging by cursor, filters, validation with the shared
// schemas) for component tests; the real engine is tested against real peers.

export interface FakeCall {
  method: ApiMethod
  request: unknown
}

type Handler<M extends ApiMethod> = (request: ApiRequest<M>) => Result<ApiResponse<M>> | Promise<Result<ApiResponse<M>>>

export interface FakeApi {
  api: ConsoleApi
  calls: FakeCall[]
  callsOf<M extends ApiMethod>(method: M): ApiRequest<M>[]
  emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void
  /** Replaces the behaviour of one method. */
  handle<M extends ApiMethod>(method: M, handler: Handler<M>): void
  queue: QueueEntry[]
  mailLog: MailLogEntry[]
  events: EventEntry[]
  view: SettingsView
  listenerCount(event: keyof ApiEvents): number
}

const ok = <T>(data: T): Result<T> => ({ ok: true, data })

const BASE = Date.UTC(2026, 10, 27, 12, 0, 0)

const EMPTY_TOTALS: ReportTotals = {
  received: 0,
  delivered: 0,
  deferred: 0,
  deferrals: 0,
  bounced: 0,
  expired: 0,
  held: 0,
  deleted: 0,
  bytesReceived: 0,
  bytesDelivered: 0,
  senders: 0,
  recipients: 0,
  senderDomains: 0,
  recipientDomains: 0,
}

/** Cursor paging over a newest-first array; the cursor is the offset, opaque to the renderer. */
export function pageOf<T>(items: T[], cursor: string | null | undefined, limit: number): Page<T> {
  const offset = cursor ? Number(cursor.slice(2)) : 0
  return {
    items: items.slice(offset, offset + limit),
    total: items.length,
    totalExact: true,
    position: offset,
    nextCursor: offset + limit < items.length ? `o:${offset + limit}` : null,
    prevCursor: offset > 0 ? `o:${Math.max(0, offset - limit)}` : null,
  }
}

export function queueEntry(i: number, patch: Partial<QueueEntry> = {}): QueueEntry {
  return {
    queueId: (0xa00000 + i).toString(16).toUpperCase(),
    size: 2048 + i,
    arrivalAt: BASE - i * 60_000,
    sender: 'alerts@example.com',
    subject: `Alert ${i}`,
    recipients: [`user${i}@example.org`],
    recipientCount: 1,
    state: 'deferred',
    attempts: 2,
    nextAttemptAt: BASE + 300_000,
    reason: 'connect to relay.example.com[192.0.2.10]:587: Connection refused',
    explanation: { cause: 'connection-refused', summary: 'The relay refused the connection.', fix: 'Check Relay Host and Relay Port.' },
    isTest: false,
    ...patch,
  }
}

export function mailLogEntry(i: number, patch: Partial<MailLogEntry> = {}): MailLogEntry {
  return {
    id: 100_000 - i,
    at: BASE - i * 1000,
    queueId: (0xb00000 + i).toString(16).toUpperCase(),
    sender: 'alerts@example.com',
    recipient: `user${i}@example.org`,
    status: 'sent',
    relay: 'relay.example.com[192.0.2.10]:587',
    delayMs: 850,
    dsn: '2.0.0',
    reply: '250 2.0.0 Ok: queued as 4F3A',
    size: 2048,
    tls: 'TLSv1.3',
    explanation: null,
    ...patch,
  }
}

export function eventEntry(i: number, patch: Partial<EventEntry> = {}): EventEntry {
  return { id: 50_000 - i, at: BASE - i * 1000, level: 'info', source: 'worker', message: `Event ${i}`, details: null, ...patch }
}

export function createFakeApi(seed: { queue?: number; mailLog?: number; events?: number; view?: Partial<SettingsView> } = {}): FakeApi {
  const calls: FakeCall[] = []
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const queue = Array.from({ length: seed.queue ?? 0 }, (_, i) => queueEntry(i))
  const mailLog = Array.from({ length: seed.mailLog ?? 0 }, (_, i) => mailLogEntry(i))
  const events = Array.from({ length: seed.events ?? 0 }, (_, i) => eventEntry(i))
  const view: SettingsView = {
    settings: { ...DEFAULT_SETTINGS, hostname: 'mail.example.com', fromAddress: 'alerts@example.com' },
    hasPassword: false,
    secretStorage: { kind: 'os', description: 'the OS keychain' },
    ...seed.view,
  }
  const fake = { queue, mailLog, events, view }

  const matches = (text: string | undefined, ...fields: string[]) => !text || fields.some((f) => f.toLowerCase().includes(text.toLowerCase()))
  const countBy = (state: QueueState) => fake.queue.filter((q) => q.state === state).length

  const behaviour: { [M in ApiMethod]?: Handler<M> } = {
    'status.get': () =>
      ok<Status>({
        mode: fake.view.settings.relayHost ? 'relay' : 'direct',
        relayHost: fake.view.settings.relayHost,
        relayPort: fake.view.settings.relayPort ?? 25,
        tls: 'none',
        sasl: fake.view.settings.useSasl,
        hostname: fake.view.settings.hostname,
        from: `${fake.view.settings.fromName} <${fake.view.settings.fromAddress}>`,
        counts: { queued: countBy('queued'), active: countBy('active'), deferred: countBy('deferred'), hold: countBy('hold'), total: fake.queue.length },
        lastDeliveryAt: null,
        secretStorage: fake.view.secretStorage,
        dataDir: '/tmp/data',
      }),
    'settings.get': () => ok(fake.view),
    'settings.update': (request) => {
      const parsed = parseRequest('settings.update', request)
      if (!parsed.ok) return parsed
      const { settings, password } = parsed.data
      fake.view = { ...fake.view, settings, hasPassword: password === undefined ? fake.view.hasPassword : password !== null }
      return ok(fake.view)
    },
    'queue.list': (r) => ok(pageOf(fake.queue.filter((q) => (!r.state || q.state === r.state) && matches(r.text, q.queueId, q.sender, ...q.recipients)), r.cursor, r.limit ?? 50)),
    'queue.summary': () =>
      ok({
        total: fake.queue.length,
        byState: { queued: countBy('queued'), active: countBy('active'), deferred: countBy('deferred'), hold: countBy('hold') },
        byDomain: fake.queue.length ? [{ domain: 'example.org', count: fake.queue.length }] : [],
      }),
    'queue.delete': ({ queueId }) => {
      const before = fake.queue.length
      fake.queue = fake.queue.filter((q) => q.queueId !== queueId)
      return ok({ deleted: fake.queue.length < before })
    },
    'queue.deleteAll': () => {
      const count = fake.queue.length
      fake.queue = []
      return ok({ count })
    },
    'queue.flush': () => ok({ count: countBy('deferred') }),
    'mailLog.list': (r) => ok(pageOf(fake.mailLog.filter((m) => (!r.status || m.status === r.status) && matches(r.text, m.queueId, m.sender, m.recipient)), r.cursor, r.limit ?? 50)),
    'events.list': (r) => ok(pageOf(fake.events.filter((e) => (!r.level || e.level === r.level) && matches(r.text, e.message)), r.cursor, r.limit ?? 50)),
    'mail.sendTest': (r) => {
      const parsed = parseRequest('mail.sendTest', r)
      if (!parsed.ok) return parsed
      return ok({ queueId: 'C0FFEE01', messageId: '<test@mail.example.com>' })
    },
    'mail.transcript': ({ queueId }) => ok({ queueId, attempt: 1, at: BASE, lines: ['S: 220 relay.example.com ESMTP', 'C: EHLO mail.example.com', 'C: AUTH PLAIN <redacted>'] }),
    'reports.day': ({ date }) =>
      ok<DayReport>({
        date,
        from: BASE,
        to: BASE + 86_400_000,
        totals: {
          received: 12,
          delivered: 10,
          deferred: 2,
          deferrals: 5,
          bounced: 1,
          expired: 0,
          held: 0,
          deleted: 0,
          bytesReceived: 43_008,
          bytesDelivered: 40_960,
          senders: 1,
          recipients: 7,
          senderDomains: 1,
          recipientDomains: 3,
        },
        sendersByCount: [{ key: 'alerts@example.com', count: 12, bytes: 43_008 }],
        recipientsByCount: [{ key: 'ops@example.org', count: 6, bytes: 20_480 }],
        warnings: 3,
        errors: 1,
        top: 20,
        hours: [],
        domains: [],
        sendersBySize: [],
        recipientsBySize: [],
        deferralDetail: { total: 0, byCause: [], byDomain: [] },
        bounceDetail: { total: 0, byCause: [], byDomain: [] },
        events: [],
        eventLimit: 50,
        previous: { date: '2026-11-26', totals: EMPTY_TOTALS },
        change: EMPTY_TOTALS,
      }),
  }

  const api: Record<string, unknown> = {}
  for (const method of API_METHODS) {
    api[method] = async (request: unknown) => {
      calls.push({ method, request })
      const handler = behaviour[method] as ((r: unknown) => Result<unknown> | Promise<Result<unknown>>) | undefined
      if (!handler) return { ok: false, error: { code: 'internal', message: `The fake has no ${method}.` } }
      // A copy, as data crossing IPC or HTTP would be.
      return structuredClone(await handler(request))
    }
  }
  api.on = (event: string, listener: (payload: unknown) => void) => {
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  return {
    api: api as ConsoleApi,
    calls,
    callsOf: <M extends ApiMethod>(method: M) => calls.filter((c) => c.method === method).map((c) => c.request as ApiRequest<M>),
    emit: (event, payload) => {
      for (const listener of listeners.get(event) ?? []) listener(payload)
    },
    handle: (method, handler) => {
      ;(behaviour as Record<string, unknown>)[method] = handler
    },
    get queue() {
      return fake.queue
    },
    set queue(v) {
      fake.queue = v
    },
    get mailLog() {
      return fake.mailLog
    },
    set mailLog(v) {
      fake.mailLog = v
    },
    get events() {
      return fake.events
    },
    set events(v) {
      fake.events = v
    },
    get view() {
      return fake.view
    },
    set view(v) {
      fake.view = v
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  }
}
