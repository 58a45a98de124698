import { API_METHODS, parseRequest, type ApiEvents, type ApiMethod, type ApiRequest, type ApiResponse, type ConsoleApi, type Result } from '../../src/shared/api.ts'
import { DEFAULT_SETTINGS, type SettingsView } from '../../src/shared/settings.ts'
import { dkimRecord, dkimSigningDomain, type DkimKeyView } from '../../src/shared/dkim.ts'
import { localDate } from '../../src/renderer/format.ts'
import type { DayReport, ReportTotals } from '../../src/shared/report.ts'
import type { EventEntry, MailLogEntry, Page, QueueEntry, QueueFilter, QueueState, Status } from '../../src/shared/types.ts'

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

/** An RSA 2048 public key's p= value, as the engine describes one. */
export const FAKE_DKIM_KEY: DkimKeyView = {
  algorithm: 'rsa',
  bits: 2048,
  publicKey: `MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA${'x'.repeat(340)}IDAQAB`,
  warning: null,
}

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

const MAILBOXES = ['ops', 'helpdesk', 'storage-oncall', 'jane.smith', 'backup-reports', 'network.team']
const DOMAINS = ['example.org', 'example.com', 'partner.example.de']

/**
 * A day of realistic traffic: 24 local hours from midnight (or `hours` of them,
 * for a daylight-saving day), with every list cut at `top` as the engine does.
 */
export function fakeDayReport(date: string, top: number, options: { hours?: number } = {}): DayReport {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const from = new Date(y, m - 1, d).getTime()
  const hourCount = options.hours ?? 24
  const hours = Array.from({ length: hourCount }, (_, i) => {
    // A 23-hour day skips 02:00; a 25-hour day has 01:00 twice.
    const hour = hourCount === 23 ? (i < 2 ? i : i + 1) : hourCount === 25 ? (i < 2 ? i : i - 1) : i
    const busy = i >= 8 && i < 18
    return {
      hour,
      start: from + i * 3_600_000,
      end: from + (i + 1) * 3_600_000,
      utcOffsetMin: hourCount === 25 && i >= 2 ? 0 : 60,
      received: busy ? 40 + i : 2,
      delivered: busy ? 36 + i : 2,
      deferred: busy ? 3 : 0,
      bounced: busy && i % 3 === 0 ? 1 : 0,
    }
  })
  const recipients = Array.from({ length: 60 }, (_, i) => ({
    key: `${MAILBOXES[i % MAILBOXES.length]}${i >= MAILBOXES.length ? Math.floor(i / MAILBOXES.length) : ''}@${DOMAINS[i % DOMAINS.length]}`,
    count: 60 - i,
    bytes: 2048 * (60 - i) + (i % 7) * 9000,
  }))
  return {
    date,
    from,
    to: from + hourCount * 3_600_000,
    totals: {
      received: 12_345,
      delivered: 11_020,
      deferred: 210,
      deferrals: 655,
      bounced: 37,
      expired: 2,
      held: 1,
      deleted: 4,
      bytesReceived: 48_234_496,
      bytesDelivered: 43_008_000,
      senders: 3,
      recipients: 60,
      senderDomains: 1,
      recipientDomains: 3,
    },
    sendersByCount: [
      { key: 'alerts@example.com', count: 12_000, bytes: 46_000_000 },
      { key: 'backup@example.com', count: 300, bytes: 2_200_000 },
      { key: 'noreply@example.com', count: 45, bytes: 34_496 },
    ].slice(0, top),
    recipientsByCount: recipients.slice(0, top),
    warnings: 3,
    errors: 1,
    top,
    hours,
    domains: DOMAINS.map((domain, i) => ({ domain, sent: 5000 - i * 2000, bytes: 20_000_000 - i * 8_000_000, defers: i * 300, avgDelayMs: 920 + i * 40_000, maxDelayMs: 3_000 + i * 3_700_000 })).slice(0, top),
    sendersBySize: [
      { key: 'alerts@example.com', count: 12_000, bytes: 46_000_000 },
      { key: 'backup@example.com', count: 300, bytes: 2_200_000 },
    ].slice(0, top),
    recipientsBySize: [...recipients].sort((a, b) => b.bytes - a.bytes).slice(0, top),
    deferralDetail: {
      total: 655,
      byCause: [
        {
          cause: 'greylisting',
          count: 600,
          summary: 'The server greylisted the message: it asks senders to come back later.',
          fix: 'Nothing: the console retries and the next attempt usually passes.',
          sample: '450 4.7.1 <ops@partner.example.de>: Recipient address rejected: Greylisted',
          domains: [{ domain: 'partner.example.de', count: 600 }],
        },
        { cause: 'connection-refused', count: 55, summary: 'The server refused the connection.', fix: 'Check Relay Host and Relay Port.', sample: null, domains: [{ domain: 'example.com', count: 55 }] },
      ],
      byDomain: [
        { domain: 'partner.example.de', count: 600, causes: [{ cause: 'greylisting', count: 600 }] },
        { domain: 'example.com', count: 55, causes: [{ cause: 'connection-refused', count: 55 }] },
      ],
    },
    bounceDetail: {
      total: 39,
      byCause: [
        {
          cause: 'unknown-recipient',
          count: 37,
          summary: 'The recipient address does not exist at the receiving server.',
          fix: 'Correct the address.',
          sample: '550 5.1.1 <old@example.org>: Recipient address rejected: User unknown',
          domains: [{ domain: 'example.org', count: 37 }],
        },
        { cause: 'expired', count: 2, summary: 'The message stayed in the queue longer than the maximal lifetime.', fix: 'Find out why it was deferred.', sample: null, domains: [{ domain: 'example.com', count: 2 }] },
      ],
      byDomain: [
        { domain: 'example.org', count: 37, causes: [{ cause: 'unknown-recipient', count: 37 }] },
        { domain: 'example.com', count: 2, causes: [{ cause: 'expired', count: 2 }] },
      ],
    },
    events: [
      { id: 1, at: from + 9 * 3_600_000 + 62_000, level: 'warning', source: 'delivery', message: 'Relay relay.example.com is slow to answer.' },
      { id: 2, at: from + 10 * 3_600_000, level: 'warning', source: 'delivery', message: 'Greylisted by partner.example.de.' },
      { id: 3, at: from + 11 * 3_600_000, level: 'error', source: 'worker', message: 'Delivery to example.org failed: user unknown.' },
      { id: 4, at: from + 12 * 3_600_000, level: 'warning', source: 'queue', message: 'A message expired after 5 days.' },
    ],
    eventLimit: 50,
    previous: {
      date: localDate(new Date(y, m - 1, d - 1, 12)),
      totals: { ...EMPTY_TOTALS, received: 12_333, delivered: 11_023, deferred: 210, deferrals: 600, bounced: 40, bytesReceived: 47_185_920, bytesDelivered: 43_008_000, senders: 3, recipients: 58, senderDomains: 1, recipientDomains: 3 },
    },
    change: { ...EMPTY_TOTALS, received: 12, delivered: -3, deferrals: 55, bounced: -3, expired: 2, held: 1, deleted: 4, bytesReceived: 1_048_576, recipients: 2 },
  }
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
    oauth: { microsoft: { hasClientSecret: false, hasPrivateKey: false }, google: { serviceAccount: null }, custom: { hasClientSecret: false } },
    secretStorage: { kind: 'os', description: 'the OS keychain' },
    dkim: { key: null, record: null },
    ...seed.view,
  }
  const fake = { queue, mailLog, events, view }

  const matches = (text: string | undefined, ...fields: string[]) => !text || fields.some((f) => f.toLowerCase().includes(text.toLowerCase()))
  // The engine's filter (queue-view.ts filterWhere), on the fake's entries.
  const matchesFilter = (q: QueueEntry, f: QueueFilter) =>
    (!f.state || q.state === f.state) &&
    matches(f.text, q.queueId, q.sender, ...q.recipients) &&
    (!f.domain || q.recipients.some((r) => r.toLowerCase().endsWith(`@${f.domain}`))) &&
    matches(f.sender, q.sender) &&
    (!f.olderThanMinutes || q.arrivalAt < Date.now() - f.olderThanMinutes * 60_000)
  const countBy = (state: QueueState) => fake.queue.filter((q) => q.state === state).length
  const generatedDkim = new Map<string, DkimKeyView>()

  const behaviour: { [M in ApiMethod]?: Handler<M> } = {
    'status.get': () =>
      ok<Status>({
        mode: fake.view.settings.relayHost ? 'relay' : 'direct',
        relayHost: fake.view.settings.relayHost,
        relayPort: fake.view.settings.relayPort ?? 25,
        tls: 'none',
        sasl: fake.view.settings.useSasl,
        verifyCertificate: fake.view.settings.verifyCertificate,
        allowPlainAuth: fake.view.settings.allowPlainAuth,
        hostname: fake.view.settings.hostname,
        from: `${fake.view.settings.fromName} <${fake.view.settings.fromAddress}>`,
        counts: { queued: countBy('queued'), active: countBy('active'), deferred: countBy('deferred'), hold: countBy('hold'), total: fake.queue.length },
        lastDeliveryAt: null,
        secretStorage: fake.view.secretStorage,
        dataDir: '/tmp/data',
        settingsProblem: null,
        storageProblem: null,
        health: { state: 'idle', lastSentAt: null, since: null, lastFailureAt: null, brief: null, explanation: null, check: [], settingsChangedSince: false },
      }),
    'settings.get': () => ok(fake.view),
    'settings.update': (request) => {
      const parsed = parseRequest('settings.update', request)
      if (!parsed.ok) return parsed
      const { settings, password, clientSecret, privateKey, serviceAccountKey, dkimKey, listenPassword } = parsed.data
      const o = fake.view.oauth
      const has = (given: string | null | undefined, saved: boolean) => (given === undefined ? saved : given !== null && given !== '')
      const oauth = {
        microsoft: {
          hasClientSecret: settings.authMethod === 'oauth-microsoft' ? has(clientSecret, o.microsoft.hasClientSecret) : o.microsoft.hasClientSecret,
          hasPrivateKey: has(privateKey, o.microsoft.hasPrivateKey),
        },
        google: { serviceAccount: serviceAccountKey === undefined ? o.google.serviceAccount : serviceAccountKey ? (JSON.parse(serviceAccountKey) as { client_email: string }).client_email : null },
        custom: { hasClientSecret: settings.authMethod === 'oauth-custom' ? has(clientSecret, o.custom.hasClientSecret) : o.custom.hasClientSecret },
      }
      let key = fake.view.dkim.key
      if (dkimKey === null) key = null
      else if (dkimKey && 'generated' in dkimKey) key = generatedDkim.get(dkimKey.generated) ?? key
      else if (dkimKey) key = FAKE_DKIM_KEY
      const domain = dkimSigningDomain(settings)
      const record = key && settings.dkimSelector && domain ? dkimRecord(settings.dkimSelector, domain, key) : null
      // As the settings store: undefined keeps the Submission password, null or '' clears it.
      const hasListenPassword = listenPassword === undefined ? (fake.view.hasListenPassword ?? false) : listenPassword !== null && listenPassword !== ''
      fake.view = { ...fake.view, settings, oauth, hasPassword: password === undefined ? fake.view.hasPassword : password !== null, hasListenPassword, dkim: { key, record } }
      return ok(fake.view)
    },
    // The engine's keys are real (tested in test/core/settings/dkim.test.ts); the window only ever sees a public half.
    'dkim.generateKey': ({ algorithm }) => {
      const keyId = String(generatedDkim.size + 1).padStart(32, '0')
      const key: DkimKeyView = algorithm === 'ed25519' ? { algorithm: 'ed25519', bits: 256, publicKey: 'PcUmqGu4CTLfrq8Pb1A0b3JqX1v8CW5XN0kEHeiD5gA=', warning: null } : FAKE_DKIM_KEY
      generatedDkim.set(keyId, key)
      return ok({ keyId, key })
    },
    'queue.list': (r) => ok(pageOf(fake.queue.filter((q) => matchesFilter(q, r)), r.cursor, r.limit ?? 50)),
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
    'queue.countMatching': (r) => {
      const parsed = parseRequest('queue.countMatching', r)
      if (!parsed.ok) return parsed
      return ok({ count: fake.queue.filter((q) => matchesFilter(q, parsed.data.filter)).length })
    },
    'queue.actOnMatching': (r) => {
      const parsed = parseRequest('queue.actOnMatching', r)
      if (!parsed.ok) return parsed
      const hit = fake.queue.filter((q) => matchesFilter(q, parsed.data.filter))
      if (parsed.data.action === 'delete') fake.queue = fake.queue.filter((q) => !hit.includes(q))
      else for (const q of hit) q.state = parsed.data.action === 'hold' ? 'hold' : 'queued'
      return ok({ action: parsed.data.action, count: hit.length })
    },
    'mailLog.list': (r) => ok(pageOf(fake.mailLog.filter((m) => (!r.status || m.status === r.status) && matches(r.text, m.queueId, m.sender, m.recipient)), r.cursor, r.limit ?? 50)),
    'events.list': (r) => ok(pageOf(fake.events.filter((e) => (!r.level || e.level === r.level) && matches(r.text, e.message)), r.cursor, r.limit ?? 50)),
    'mail.sendTest': (r) => {
      const parsed = parseRequest('mail.sendTest', r)
      if (!parsed.ok) return parsed
      return ok({ queueId: 'C0FFEE01', messageId: '<test@mail.example.com>' })
    },
    // A message of the fake Mail Log that left the queue, its source kept; not_found otherwise.
    'message.get': ({ queueId }) => {
      const story = fake.mailLog.filter((m) => m.queueId === queueId).reverse()
      if (story.length === 0) return { ok: false, error: { code: 'not_found', message: `No message ${queueId} is in the queue or the Mail Log.` } }
      const source = `From: alerts@example.com\r\nSubject: Alert for ${queueId}\r\n\r\nDisk full`
      return ok({
        queueId,
        inQueue: null,
        sender: story[0]!.sender,
        subject: `Alert for ${queueId}`,
        messageId: `<${queueId}@mail.example.com>`,
        story,
        headers: [
          { name: 'From', value: 'alerts@example.com' },
          { name: 'Subject', value: `Alert for ${queueId}` },
        ],
        source: { kind: 'kept', source, truncated: false, size: source.length },
      })
    },
    'mail.transcript': ({ queueId }) => ok({ queueId, attempt: 1, at: BASE, lines: ['S: 220 relay.example.com ESMTP', 'C: EHLO mail.example.com', 'C: AUTH PLAIN <redacted>'] }),
    'reports.day': ({ date, top }) => ok(fakeDayReport(date, top ?? 20)),
    'reports.export': ({ date, top, format }) => {
      const r = fakeDayReport(date, top ?? 20)
      // Bytes that are not text, as a zip's are: they must reach the file unchanged.
      if (format === 'csv-zip') return ok({ filename: `smtp-report-${date}-csv.zip`, mimeType: 'application/zip', content: Buffer.from([0x50, 0x4b, 0x05, 0x06, 0xff, 0x00, 0x80]).toString('base64'), encoding: 'base64' as const })
      return format === 'csv'
        ? ok({ filename: `smtp-report-${date}.csv`, mimeType: 'text/csv', content: `section,key,value\r\ntotals,delivered,${r.totals.delivered}\r\n` })
        : ok({ filename: `smtp-report-${date}.txt`, mimeType: 'text/plain', content: `SMTP Console log summaries for ${date}\n\nGrand Totals\n------------\n     ${r.totals.delivered}  delivered\n` })
    },
    // Nothing standing; tests of a page opened during an outage give their own (handle).
    'alerts.current': () => ok({ alerts: [], badge: { count: 0 } }),
    // A run with no checks; tests that need checks give their own (handle).
    'diagnostics.run': (r) => {
      const parsed = parseRequest('diagnostics.run', r)
      if (!parsed.ok) return parsed
      return ok({ startedAt: BASE, checks: [] })
    },
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
