// What the console shows: plain data that crosses IPC and HTTP unchanged.
// Times are milliseconds since the epoch (UTC); the renderer formats them.

import type { EffectiveTls } from './settings.ts'

export const QUEUE_STATES = ['queued', 'active', 'deferred', 'hold'] as const
export type QueueState = (typeof QUEUE_STATES)[number]

export const RECIPIENT_STATUSES = ['pending', 'sent', 'bounced', 'expired'] as const
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number]

export const MAIL_LOG_STATUSES = ['received', 'sent', 'deferred', 'bounced', 'expired', 'deleted', 'held', 'released'] as const
export type MailLogStatus = (typeof MAIL_LOG_STATUSES)[number]

export const EVENT_LEVELS = ['info', 'warning', 'error'] as const
export type EventLevel = (typeof EVENT_LEVELS)[number]

/** A failure in the admin's words: what went wrong and what to try. */
export interface Explanation {
  /** Stable identifier of the cause, e.g. `tls-wrong-version`, `auth-failed`. */
  cause: string
  summary: string
  fix: string
}

export interface Page<T> {
  items: T[]
  /** Rows that match the filter; a lower bound when `totalExact` is false. */
  total: number
  totalExact: boolean
  /** Index of the first item among all matching rows, newest first (0-based). */
  position: number
  nextCursor: string | null
  prevCursor: string | null
}

export interface QueueEntry {
  queueId: string
  size: number
  arrivalAt: number
  sender: string
  subject: string
  /** Recipients still pending delivery. */
  recipients: string[]
  recipientCount: number
  state: QueueState
  attempts: number
  nextAttemptAt: number | null
  reason: string | null
  explanation: Explanation | null
  isTest: boolean
}

export interface RecipientDetail {
  address: string
  status: RecipientStatus
  dsn: string | null
  reply: string | null
  updatedAt: number
}

export interface QueueMessageDetail extends QueueEntry {
  messageId: string
  recipientsDetail: RecipientDetail[]
  attemptsLog: MailLogEntry[]
}

/** Where a message's source stands: kept (its first MiB), gone with a reason in the admin's words, or never kept. */
export type MessageSource =
  | { kind: 'kept'; source: string; truncated: boolean; size: number }
  | { kind: 'gone'; at: number | null; note: string }

/** One message, in the queue or gone from it: what the Mail Log and the dashboard open. */
export interface MessageStory {
  queueId: string
  /** Its Mail Queue detail while it is in the queue; null once it has left. */
  inQueue: QueueMessageDetail | null
  sender: string | null
  subject: string | null
  messageId: string | null
  /** Every mail-log row of the message, oldest first: received, each attempt, the final outcome. */
  story: MailLogEntry[]
  headers: { name: string; value: string }[]
  source: MessageSource
}

export interface QueueSummary {
  total: number
  byState: Record<QueueState, number>
  /** Recipient domains of pending recipients, most first (at most 20). */
  byDomain: { domain: string; count: number }[]
}

export interface MailLogEntry {
  id: number
  at: number
  queueId: string
  sender: string
  recipient: string
  status: MailLogStatus
  /** `host[ip]:port`, or null when no server was reached. */
  relay: string | null
  delayMs: number | null
  dsn: string | null
  reply: string | null
  size: number | null
  tls: string | null
  explanation: Explanation | null
}

export interface EventEntry {
  id: number
  at: number
  level: EventLevel
  source: string
  message: string
  details: Record<string, unknown> | null
}

export const DELIVERY_STAGES = [
  'queued',
  'connecting',
  'connected',
  'tls',
  'authenticated',
  'sending',
  'sent',
  'deferred',
  'bounced',
  'expired',
] as const
export type DeliveryStage = (typeof DELIVERY_STAGES)[number]

export interface DeliveryProgress {
  queueId: string
  stage: DeliveryStage
  at: number
  /** A line for the admin: "Connecting to smtp.example.com[192.0.2.1]:587". */
  detail: string
  recipient?: string
  relay?: string
  reply?: string
  explanation?: Explanation
  /** For a deferral: when the next attempt is due. */
  nextAttemptAt?: number
}

export interface Transcript {
  queueId: string
  attempt: number
  at: number
  /** SMTP dialogue, client lines `C:`, server lines `S:`; credentials redacted. */
  lines: string[]
}

export interface Status {
  mode: 'direct' | 'relay'
  relayHost: string
  relayPort: number
  tls: EffectiveTls
  sasl: boolean
  /** Verify certificate and Allow password without TLS (unsafe): warned about while they weaken TLS. */
  verifyCertificate: boolean
  allowPlainAuth: boolean
  hostname: string
  from: string
  counts: Record<QueueState, number> & { total: number }
  lastDeliveryAt: number | null
  secretStorage: { kind: 'os' | 'keyfile'; description: string }
  dataDir: string
  /** The settings file cannot be read as it was saved: delivery is paused until valid settings are saved. */
  settingsProblem: SettingsProblem | null
  /** The database cannot be written (disk full, read-only): what is waiting and why. */
  storageProblem: string | null
  /** Local submission: off, listening (where, and how many messages it took today), or why it cannot listen. */
  listener?: ListenerStatus
  /** Whether mail is going out, for the dashboard's one line; computed by the engine so every window says the same. */
  health: DeliveryHealth
}

/**
 * `delivering`: nothing stops delivery and mail has gone out; `failing`: the latest word since the last delivery
 * is a failure that stops every delivery (the relay refused, the password rejected, TLS); `idle`: nothing sent
 * yet and nothing failing; `paused`: the settings file is damaged and delivery waits for a valid save.
 */
export type DeliveryHealthState = 'delivering' | 'failing' | 'idle' | 'paused'

export interface DeliveryHealth {
  state: DeliveryHealthState
  lastSentAt: number | null
  /** failing: the first failure that stopped delivery since the last message went out. */
  since: number | null
  /** failing: the latest such failure. */
  lastFailureAt: number | null
  /** failing: the cause in a few words ("connection refused by 127.0.0.1:1"), and in full. */
  brief: string | null
  explanation: Explanation | null
  /** failing: the settings to check, in order (key for the link to the field, label for the words). */
  check: { field: string; label: string }[]
  /** failing: settings were saved after the latest failure, so a Flush Queue tries them now. */
  settingsChangedSince: boolean
}

export type ListenerStatus =
  | { state: 'off' }
  | { state: 'listening'; addresses: string[]; receivedToday: number; auth: boolean; starttls: boolean }
  | { state: 'error'; message: string }

export interface SettingsProblem {
  /** The settings file, as a full path. */
  file: string
  /** Labels of the fields that could not be read; empty when the whole file could not. */
  fields: string[]
  /** What is wrong and what to do, in one paragraph. */
  message: string
}

export interface SendTestResult {
  queueId: string
  messageId: string
}

export interface FlushResult {
  /** Messages that became due now. */
  count: number
}

export interface DeleteAllResult {
  count: number
}

/** What the Mail Queue's filter selects; every field narrows, none means every message. */
export interface QueueFilter {
  state?: QueueState | undefined
  /** A queue id, or text found in the sender, the subject or a recipient. */
  text?: string | undefined
  /** Messages with a pending recipient at this domain. */
  domain?: string | undefined
  /** Text found in the sender's address. */
  sender?: string | undefined
  /** Messages that arrived more than this many minutes ago. */
  olderThanMinutes?: number | undefined
}

export const QUEUE_FILTER_ACTIONS = ['delete', 'hold', 'release', 'retry'] as const
export type QueueFilterAction = (typeof QUEUE_FILTER_ACTIONS)[number]

/** A bulk action running in chunks: Delete Queue, Flush Queue, or an action on a filter. */
export type QueueBulkAction = 'deleteAll' | 'flush' | QueueFilterAction

export interface QueueProgress {
  action: QueueBulkAction
  /** Messages handled so far, and how many there were when it began. */
  done: number
  total: number
  finished: boolean
  /** Flush Queue, once finished: what became of the messages it made due, updated as their attempts end. */
  outcome?: FlushOutcome
}

export interface FlushOutcome {
  sent: number
  /** Deferred again: they wait for their next retry. */
  deferred: number
  /** Bounced or expired: returned to the sender. */
  bounced: number
  /** Made due, their attempt not over yet. */
  waiting: number
}

export interface QueueActionResult {
  action: QueueFilterAction
  /** Messages the action changed (held messages skipped by Hold, say, are not counted). */
  count: number
}
