import type { SettingsFields } from '../../../shared/settings.ts'
import type { DatabaseSync } from 'node:sqlite'
import type { ApiParsedRequest, ApiResponse, EngineMethod as ApiMethod } from '../../../shared/api.ts'
import type { Status } from '../../../shared/types.ts'
import type { AlertMonitor } from '../alerts/monitor.ts'
import type { DeliveryWorker } from '../delivery/worker.ts'
import type { EventLog } from '../logs/event-log.ts'
import type { Transcripts } from '../logs/transcripts.ts'
import type { MailLog } from '../logs/mail-log.ts'
import type { Queue } from '../queue/queue.ts'
import type { QueueView } from '../queue/queue-view.ts'
import type { SentSources } from '../queue/sent-sources.ts'
import { messageStory } from './message-story.ts'
import { exportDayReport } from '../reports/export-report.ts'
import { dayReport } from '../reports/day-report.ts'
import type { SettingsStore } from '../settings/settings-store.ts'
import { dkimKeyOf } from '../diagnostics/dns/group.ts'
import { publicKeyPem } from '../settings/dkim-key.ts'
import type { Blocklist } from '../diagnostics/dns/input.ts'
import { checkGroups } from '../diagnostics/groups.ts'
import { runDiagnostics } from '../diagnostics/run.ts'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import { ConflictError, InputError } from './api-errors.ts'
import { settingsPreview } from '../settings/settings-preview.ts'
import type { BulkRunner } from './bulk.ts'
import type { FlushFollower } from './follow.ts'
import type { Notifier } from './notifier.ts'
import type { Watch } from './watch.ts'

// One small function per API method: each turns a parsed request into calls
// on the engine's parts, logs what the admin did, and says what changed.

export type Handlers = { [M in ApiMethod]: (req: ApiParsedRequest<M>) => Promise<ApiResponse<M>> | ApiResponse<M> }

/** What the handlers reach: the engine's parts and the few engine operations that span several. */
export interface EngineParts {
  readonly db: DatabaseSync
  readonly queue: Queue
  readonly queueView: QueueView
  readonly sentSources: SentSources
  readonly mailLog: MailLog
  readonly events: EventLog
  readonly transcripts: Transcripts
  readonly settings: SettingsStore
  readonly worker: DeliveryWorker
  readonly watch: Watch
  readonly notifier: Notifier
  readonly bulk: BulkRunner
  readonly flushFollower: FlushFollower
  readonly alerts: Pick<AlertMonitor, 'current'>
  readonly directPort: number
  readonly dnsServers: string[] | null
  readonly blocklists: Blocklist[] | undefined
  logEvent(level: 'info' | 'warning' | 'error', source: string, message: string, details?: Record<string, unknown>): void
  status(): Status
  saveSettings(req: ApiParsedRequest<'settings.update'>): Promise<ApiResponse<'settings.update'>>
  sendTest(to: string, subject: string | undefined): Promise<ApiResponse<'mail.sendTest'>>
  exportLink(req: ApiParsedRequest<'logs.exportCsv'>): ApiResponse<'logs.exportCsv'>
  /** A fresh access token for the OAuth 2.0 Sign-in method of `settings`, with the saved secrets. */
  oauthToken(settings: SettingsFields): Promise<string>
}

type Handler<M extends ApiMethod> = (e: EngineParts, req: ApiParsedRequest<M>) => Promise<ApiResponse<M>> | ApiResponse<M>

const flush: Handler<'queue.flush'> = async (e) => {
  // Followed from before the first chunk: the chunks wake the worker, and attempts end while the rest is flushed.
  e.flushFollower.start(e.queueView.lastRowId(), e.worker.inFlightIds())
  let count: number
  try {
    count = await e.bulk.run('flush')
  } catch (err) {
    e.flushFollower.stop()
    throw err
  }
  e.logEvent('info', 'queue', `Flush Queue: ${count} message(s) due now.`, { count })
  const outcome = e.flushFollower.made(count)
  if (outcome) e.notifier.emit('queue.progress', { action: 'flush', done: count, total: count, finished: true, outcome })
  e.worker.wake()
  return { count }
}

const deleteAll: Handler<'queue.deleteAll'> = async (e) => {
  // Chunked: messages in flight are logged when their attempt ends (the server may be accepting them right now).
  const count = await e.bulk.run('deleteAll')
  e.logEvent('warning', 'queue', `Delete Queue: ${count} message(s) deleted by the administrator.`, { count })
  return { count }
}

const ACTION_WORDS = { delete: 'deleted', hold: 'put on hold', release: 'released from hold', retry: 'made due now' } as const

const actOnMatching: Handler<'queue.actOnMatching'> = async (e, req) => {
  const count = await e.bulk.run(req.action, req.filter)
  const filter = Object.fromEntries(Object.entries(req.filter).filter(([, v]) => v !== undefined && v !== ''))
  e.logEvent(req.action === 'delete' ? 'warning' : 'info', 'queue', `${count} message(s) matching the Mail Queue filter ${ACTION_WORDS[req.action]} by the administrator.`, {
    count,
    filter,
  })
  if (req.action === 'release' || req.action === 'retry') e.worker.wake()
  return { action: req.action, count }
}

const deleteOne: Handler<'queue.delete'> = (e, req) => {
  e.queue.deleteOne(req.queueId, e.worker.inFlightIds().has(req.queueId))
  e.worker.abort(req.queueId)
  e.watch.forget(req.queueId)
  e.logEvent('info', 'queue', `Message ${req.queueId} deleted by the administrator.`, { queueId: req.queueId })
  e.notifier.soon('queue.changed')
  e.notifier.soon('mailLog.appended')
  return { deleted: true }
}

const hold: Handler<'queue.hold'> = (e, req) => {
  const entry = e.queue.hold(req.queueId)
  e.logEvent('info', 'queue', `Message ${req.queueId} put on hold.`, { queueId: req.queueId })
  e.notifier.soon('queue.changed')
  return entry
}

const release: Handler<'queue.release'> = (e, req) => {
  const entry = e.queue.release(req.queueId)
  e.logEvent('info', 'queue', `Message ${req.queueId} released from hold.`, { queueId: req.queueId })
  e.notifier.soon('queue.changed')
  e.worker.wake()
  return entry
}

const retry: Handler<'queue.retry'> = (e, req) => {
  const entry = e.queue.retry(req.queueId)
  e.watch.add(req.queueId)
  e.notifier.soon('queue.changed')
  e.worker.wake()
  return entry
}

/** The saved DKIM key's public half as PEM, or null when none is saved. */
function savedDkimPublicKey(e: EngineParts): string | null {
  const key = e.settings.view().dkim.key
  return key ? publicKeyPem(key) : null
}

const runChecks: Handler<'diagnostics.run'> = (e, req) => {
  const saved = e.settings.get()
  if (!req.settings && e.settings.problem) throw new InputError(`The checks need settings, and the saved ones cannot be read. ${e.settings.problem.message}`)
  const settings = req.settings ?? saved
  // The saved password goes only to the saved Relay Host: a form pointing elsewhere must type it.
  if (req.password === undefined && settings.useSasl && settings.relayHost !== saved.relayHost && e.settings.hasPassword()) {
    const message = `Type the Password to check ${settings.relayHost}: the saved one is sent only to the saved ${FIELD_LABELS.relayHost}${saved.relayHost ? ` (${saved.relayHost})` : ''}.`
    throw new InputError(message, { password: message })
  }
  const password = async () => (req.password !== undefined ? req.password : settings.useSasl ? e.settings.password() : null)
  const runId = req.runId ?? null
  return runDiagnostics(
    { settings, password, oauthToken: () => e.oauthToken(settings), recipientDomain: req.recipientDomain, dnsServers: e.dnsServers, directPort: e.directPort },
    {
      // The saved key's public half: a key generated in the form is checked once it is saved.
      groups: checkGroups(settings, req.scope, { blocklists: e.blocklists, dkim: dkimKeyOf(settings, savedDkimPublicKey(e)) }),
      onCheck: (check) => e.notifier.emit('diagnostics.progress', { runId, check }),
      onError: (err, checks) =>
        e.logEvent('error', 'diagnostics', `A Troubleshooting check stopped on a fault of the console: ${(err as Error).message}`, { checks, stack: (err as Error).stack }),
    },
  )
}

export function makeHandlers(e: EngineParts): Handlers {
  return {
    'status.get': () => e.status(),
    'settings.get': () => e.settings.view(),
    'settings.update': (req) => e.saveSettings(req),
    'settings.preview': (req) => ({ changes: settingsPreview(e.settings.view(), req) }),
    'settings.undo': () => {
      throw new ConflictError("Undo applies to a Postfix server's main.cf; this system keeps its settings itself.")
    },
    'dkim.generateKey': (req) => e.settings.generateDkimKey(req.algorithm),
    'mail.sendTest': (req) => e.sendTest(req.to, req.subject),
    'mail.transcript': (req) => e.transcripts.latest(req.queueId),
    'queue.list': (req) => e.queueView.list(req),
    'queue.summary': () => e.queueView.summary(),
    'queue.get': (req) => e.queueView.get(req.queueId),
    'queue.source': (req) => e.queueView.source(req.queueId),
    'message.get': (req) => messageStory(e, req.queueId),
    'queue.flush': (req) => flush(e, req),
    'queue.deleteAll': (req) => deleteAll(e, req),
    'queue.delete': (req) => deleteOne(e, req),
    'queue.hold': (req) => hold(e, req),
    'queue.release': (req) => release(e, req),
    'queue.retry': (req) => retry(e, req),
    'queue.countMatching': (req) => ({ count: e.queueView.countMatching(req.filter) }),
    'queue.actOnMatching': (req) => actOnMatching(e, req),
    'mailLog.list': (req) => e.mailLog.list({ cursor: req.cursor, limit: req.limit, status: req.status, text: req.text }),
    'events.list': (req) => e.events.list({ cursor: req.cursor, limit: req.limit, level: req.level, text: req.text }),
    // The engine cannot choose a file: it answers a one-time link (web/export-route.ts); the desktop app saves through exportCsv.
    'logs.exportCsv': (req) => e.exportLink(req),
    'reports.day': (req) => dayReport(e.db, req.date, req.top),
    'reports.export': (req) => exportDayReport(e.db, req),
    'diagnostics.run': (req) => runChecks(e, req),
    'alerts.current': () => e.alerts.current(),
  }
}
