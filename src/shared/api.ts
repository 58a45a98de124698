import { z } from 'zod'
import { DAY_FORMAT } from './calendar.ts'
import { DKIM_KEY_CHOICES, type DkimKeyView } from './dkim.ts'
import { hasNoControlChars, isFqdn, isMailbox, mailboxSchema, noControlMessage, settingsSchema, settingsUpdateSchema, type SettingsView } from './settings.ts'
import type { Check, DiagnosticsReport } from './diagnostics.ts'
import { EVENT_LEVELS, MAIL_LOG_STATUSES, QUEUE_FILTER_ACTIONS, QUEUE_STATES } from './types.ts'
import type {
  DeleteAllResult,
  DeliveryProgress,
  EventEntry,
  FlushResult,
  MailLogEntry,
  Page,
  QueueEntry,
  QueueActionResult,
  MessageStory,
  QueueMessageDetail,
  QueueProgress,
  QueueSummary,
  SendTestResult,
  Status,
  Transcript,
} from './types.ts'
import type { DayReport } from './report.ts'
import type { Alert, AlertBadge, CurrentAlerts } from './alerts.ts'
import { API_METHODS, EVENT_NAMES, type ApiMethod, type EngineMethod } from './methods.ts'
import { systemAddSchema, systemIdSchema, type HostKeyQuestion, type SystemInfo, type SystemSummary } from './systems.ts'

// The contract between the console and the engine: one entry per method,
// its request schema and its response type. Both adapters and the renderer
// are generic over this map, so a renamed method or a changed argument is a
// compile error on every side.

const NO_CRLF = /^[^\r\n]*$/

const pageRequest = {
  cursor: z.string().max(200).nullable().optional(),
  limit: z.number().int().min(1).max(500).default(50),
  text: z.string().max(200).optional(),
}

/** The Mail Queue's filter, as the list, the count and the bulk actions take it. */
export const queueFilterFields = {
  state: z.enum(QUEUE_STATES).optional(),
  text: z.string().max(200).optional(),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253, 'A recipient domain is at most 253 characters.')
    .regex(/^[a-z0-9.\-\[\]:]*$/, 'A recipient domain is letters, digits, dots and hyphens, like example.com.')
    .optional(),
  sender: z.string().trim().max(254, 'A sender is at most 254 characters.').refine(hasNoControlChars, noControlMessage('The sender')).optional(),
  olderThanMinutes: z
    .number({ error: 'Older than must be a number of minutes.' })
    .int('Older than must be a whole number of minutes.')
    .min(1, 'Older than must be at least 1 minute.')
    .max(60 * 24 * 366, 'Older than is at most a year (527,040 minutes).')
    .optional(),
}

/**
 * The Troubleshooting checks' request: the Edit Settings form's values, saved or not (absent: the saved
 * settings), its password as settings.update takes it (absent: the saved one; null: none), and where a
 * test message would go — a domain (its postmaster is asked) or an address.
 */
export const diagnosticsRequestSchema = settingsUpdateSchema.extend({
  settings: settingsSchema.optional(),
  recipientDomain: z
    .string()
    .trim()
    .max(254, 'The recipient domain is at most 254 characters.')
    .refine((v) => v === '' || isFqdn(v) || isMailbox(v), 'Enter a recipient domain such as example.com, or an email address.')
    .optional(),
  /** 'connection': only how mail leaves (relay or direct checks), as Edit Settings' Check connection runs them. */
  scope: z.enum(['all', 'connection']).default('all'),
  /** Echoed in each diagnostics.progress event, so a window tells its run from another's. */
  runId: z.string().regex(/^[\w.:-]{1,64}$/, 'A run id is up to 64 letters, digits and . : _ -').optional(),
}).prefault({})

const queueIdSchema = z.object({ queueId: z.string().regex(/^[0-9A-F]{6,20}$/, 'Not a queue id.') })

export const requestSchemas = {
  'status.get': z.void(),
  'settings.get': z.void(),
  'settings.update': settingsUpdateSchema,
  'settings.preview': settingsUpdateSchema,
  'settings.undo': z.void(),
  'dkim.generateKey': z.object({ algorithm: z.enum(DKIM_KEY_CHOICES, { error: 'Choose RSA 2048 or Ed25519.' }) }),
  'mail.sendTest': z.object({
    to: mailboxSchema('the email address to send to'),
    subject: z
      .string()
      .max(200, 'The subject is limited to 200 characters.')
      .regex(NO_CRLF, 'The subject must be on one line (no line breaks).')
      .refine(hasNoControlChars, noControlMessage('The subject'))
      .optional(),
  }),
  'mail.transcript': queueIdSchema,
  'queue.list': z.object({ ...pageRequest, ...queueFilterFields }),
  'queue.summary': z.void(),
  'queue.get': queueIdSchema,
  'queue.source': queueIdSchema,
  'message.get': queueIdSchema,
  'queue.flush': z.void(),
  'queue.deleteAll': z.void(),
  'queue.delete': queueIdSchema,
  'queue.hold': queueIdSchema,
  'queue.release': queueIdSchema,
  'queue.retry': queueIdSchema,
  'queue.countMatching': z.object({ filter: z.object(queueFilterFields) }),
  'queue.actOnMatching': z.object({ filter: z.object(queueFilterFields), action: z.enum(QUEUE_FILTER_ACTIONS) }),
  'mailLog.list': z.object({ ...pageRequest, status: z.enum(MAIL_LOG_STATUSES).optional() }),
  'events.list': z.object({ ...pageRequest, level: z.enum(EVENT_LEVELS).optional() }),
  'logs.exportCsv': z
    .object({
      log: z.enum(['mailLog', 'events']),
      status: z.enum(MAIL_LOG_STATUSES).optional(),
      level: z.enum(EVENT_LEVELS).optional(),
      text: pageRequest.text,
    })
    .refine((r) => (r.log === 'mailLog' ? r.level === undefined : r.status === undefined), {
      message: 'Status filters the Mail Log and Level the Logs: give the one of the log exported.',
    }),
  'reports.day': z.object({
    date: z.string().regex(DAY_FORMAT, 'The day must be given as YYYY-MM-DD.'),
    top: z.number().int().min(1).max(1000).default(20),
  }),
  'reports.export': z.object({
    date: z.string().regex(DAY_FORMAT, 'The day must be given as YYYY-MM-DD.'),
    top: z.number().int().min(1).max(1000).default(20),
    // csv-zip: one CSV file per table, in a zip, as the tables have different shapes.
    format: z.enum(['text', 'csv', 'csv-zip']),
  }),
  'diagnostics.run': diagnosticsRequestSchema,
  'alerts.current': z.void(),
  'systems.list': z.void(),
  'systems.add': systemAddSchema,
  'systems.remove': z.object({ id: systemIdSchema }),
  'systems.summary': z.void(),
  'systems.acceptHostKey': z.object({ id: systemIdSchema, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'Not an SSH key fingerprint (SHA256:…).') }),
} satisfies Record<ApiMethod, z.ZodType>

/** Which log to export as CSV, filtered as its page is. */
export type LogExportRequest = z.output<(typeof requestSchemas)['logs.exportCsv']>

/** A log export: a link the browser downloads once, a file the desktop app saved, or the admin's Cancel in its dialog. */
export type LogExportResult =
  | { kind: 'download'; filename: string; href: string }
  | { kind: 'saved'; filename: string; file: string; rows: number }
  | { kind: 'cancelled' }

export interface ApiResponses {
  'status.get': Status
  'settings.get': SettingsView
  'settings.update': SettingsView
  /** What settings.update would change, before it does: a Postfix server's main.cf lines, the embedded engine's fields by label. Secrets read "set" / "not set". */
  'settings.preview': { changes: SettingsChange[] }
  /** Puts back what the last settings.update replaced (a Postfix server's previous main.cf). */
  'settings.undo': SettingsView
  /** A new key held in the main process until Submit saves it (settings.update with dkimKey: { generated: keyId }); the private key never leaves. */
  'dkim.generateKey': { keyId: string; key: DkimKeyView }
  'mail.sendTest': SendTestResult
  'mail.transcript': Transcript | null
  'queue.list': Page<QueueEntry>
  'queue.summary': QueueSummary
  'queue.get': QueueMessageDetail
  'queue.source': { queueId: string; source: string; truncated: boolean }
  /** Any message, in the queue or gone from it (its source kept for Keep sent messages): its story, headers and source. */
  'message.get': MessageStory
  'queue.flush': FlushResult
  'queue.deleteAll': DeleteAllResult
  'queue.delete': { deleted: boolean }
  'queue.hold': QueueEntry
  'queue.release': QueueEntry
  'queue.retry': QueueEntry
  /** How many messages the filter selects now (shown before the admin confirms an action on them). */
  'queue.countMatching': { count: number }
  /** Runs in chunks, with queue.progress events; answers when every chunk is done. */
  'queue.actOnMatching': QueueActionResult
  'mailLog.list': Page<MailLogEntry>
  'events.list': Page<EventEntry>
  'logs.exportCsv': LogExportResult
  'reports.day': DayReport
  /** The report as a file: plain text in pflogsumm's layout, or CSV. */
  /** content is text, or with encoding 'base64' the bytes of a binary file (the zip). */
  'reports.export': { filename: string; mimeType: string; content: string; encoding?: 'base64' }
  /** Every check of the run, in CHECK_IDS order; diagnostics.progress events carry each as it finishes. Nothing is sent. */
  'diagnostics.run': DiagnosticsReport
  /** The alerts standing now and the badge's count: what a page or the desktop shell shows before the next event. */
  'alerts.current': CurrentAlerts
  'systems.list': { systems: SystemInfo[] }
  /** The system as kept; hostKey when its SSH server's key must be accepted first (systems.acceptHostKey). */
  'systems.add': { system: SystemInfo; hostKey: HostKeyQuestion | null }
  'systems.remove': { removed: boolean }
  /** Every system, asked at once, each bounded in time: one that cannot be reached says so. */
  'systems.summary': { systems: SystemSummary[] }
  'systems.acceptHostKey': { system: SystemInfo }
}

/** One line settings.update would change: a main.cf parameter (or a field's label) with its value now and after. */
export interface SettingsChange {
  name: string
  from: string
  to: string
}

export type ApiRequest<M extends ApiMethod> = z.input<(typeof requestSchemas)[M]>
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof requestSchemas)[M]>
export type ApiResponse<M extends ApiMethod> = ApiResponses[M]

export const ERROR_CODES = ['invalid_request', 'not_found', 'conflict', 'storage', 'forbidden', 'internal'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ApiError {
  code: ErrorCode
  message: string
  /** Per-field messages for forms, keyed by field name. */
  fields?: Record<string, string>
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError }

/** The object the renderer holds: one function per method, plus push events. */
export type ConsoleApi = {
  [M in ApiMethod]: (request: ApiRequest<M>) => Promise<Result<ApiResponse<M>>>
} & {
  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
  /** Where the events travel over a network (the browser's event stream): when it drops, and when it is back. */
  onConnection?(listener: (state: ConnectionState) => void): () => void
}

/** The event stream to the engine: 'lost' when it dropped, 'restored' when it came back. */
export type ConnectionState = 'lost' | 'restored'

export interface ApiEvents {
  'queue.changed': { reason: string }
  'mailLog.appended': { count: number }
  'events.appended': { count: number }
  'delivery.progress': DeliveryProgress
  'settings.changed': { fields: string[] }
  /** A chunked bulk action (Delete Queue, Flush Queue, an action on a filter) moving on. */
  'queue.progress': QueueProgress
  /** One Troubleshooting check finished; runId is the request's, or null. */
  'diagnostics.progress': { runId: string | null; check: Check }
  /** An alert to show (mail deferred or bounced, the queue past a threshold, the all-clear), already throttled. */
  'alerts.raised': Alert
  /** The count for the tray icon or dock badge. */
  'alerts.badge': AlertBadge
}

/** Turns a zod failure into the API's error: one message per field, the first for each. */
export function validationError(error: z.ZodError, message = 'Some fields need attention.'): ApiError {
  const fields: Record<string, string> = {}
  for (const issue of error.issues) {
    const key = issue.path.filter((p) => p !== 'settings').join('.') || '_'
    if (!(key in fields)) fields[key] = issue.message
  }
  const only = Object.values(fields)
  return { code: 'invalid_request', message: only.length === 1 ? only[0]! : message, fields }
}

export function parseRequest<M extends ApiMethod>(method: M, raw: unknown): Result<ApiParsedRequest<M>> {
  const schema = requestSchemas[method] as z.ZodType
  const parsed = schema.safeParse(raw === null ? undefined : raw)
  if (!parsed.success) return { ok: false, error: validationError(parsed.error) }
  return { ok: true, data: parsed.data as ApiParsedRequest<M> }
}

export function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name)
}

export { API_METHODS, EVENT_NAMES, type ApiMethod, type EngineMethod }

// Every event of the map has a name in EVENT_NAMES, and no other.
type _EventsMatch = [keyof ApiEvents] extends [(typeof EVENT_NAMES)[number]] ? ((typeof EVENT_NAMES)[number] extends keyof ApiEvents ? true : never) : never
export const EVENTS_MATCH: _EventsMatch = true
