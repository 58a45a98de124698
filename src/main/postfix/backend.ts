import type { ApiError, ApiEvents, EngineMethod as ApiMethod, ApiParsedRequest, ApiResponse, LogExportRequest, Result, SettingsChange } from '../../shared/api.ts'
import { effectiveRelayPort, settingsStatus, type SettingsFields, type SettingsView } from '../../shared/settings.ts'
import type { MessageStory, Status } from '../../shared/types.ts'
import { EXPORT_PATH } from '../../shared/wire.ts'
import type { Engine } from '../core/engine/engine-types.ts'
import { PendingDownloads, type LogCsvExport } from '../core/logs/log-export.ts'
import { toApiError } from '../core/engine/api-errors.ts'
import { healthFromLog } from './logs/health.ts'
import type { PostfixLogs } from './logs/postfix-logs.ts'
import { PostfixError, unreachableError } from './queue/errors.ts'
import { MailQueue } from './queue/mail-queue.ts'
import { followTestMail } from './queue/follow-test.ts'
import { composeTestMail, submitTestMail } from './queue/send-test.ts'
import { headersOf, storyOf } from './queue/story.ts'
import { RunnerError } from './runner/runner.ts'
import type { PostfixTools } from './tools.ts'

// A Postfix server behind the console's one contract: the Mail Queue through
// postqueue, postsuper and postcat (queue/), Edit Settings through the
// settings it is given (postconf), the Mail Log, Logs and reports from its
// log index. What has no meaning on Postfix says so in the admin's words.

/** What the backend asks of Edit Settings on a Postfix server (postfix/settings/postfix-settings.ts builds it). */
export interface PostfixSettingsPort {
  get(): Promise<SettingsView>
  update(u: ApiParsedRequest<'settings.update'>): Promise<SettingsView>
  /** The settings as the server applies them (main.cf read back), with the console's From Name and From Address. */
  effective(): Promise<SettingsFields>
  /** The main.cf lines a save would change, before it is applied. */
  preview(u: ApiParsedRequest<'settings.update'>): Promise<SettingsChange[]>
  /** Puts back the main.cf the last save replaced. */
  undo(): Promise<SettingsView>
}

export interface PostfixBackendOptions {
  /** This system's own directory: the Mail Queue's snapshot lives here. */
  dataDir: string
  tools: PostfixTools
  logs: PostfixLogs
  settings: PostfixSettingsPort
  now?: () => number
}

type Handler<M extends ApiMethod> = (req: ApiParsedRequest<M>) => Promise<ApiResponse<M>> | ApiResponse<M>
type Handlers = { [M in ApiMethod]: Handler<M> }

/** Polls of the log index for a test email's queue id, when sendmail took it: up to 10 s. */
const QUEUE_ID_POLLS = 20
const QUEUE_ID_POLL_MS = 500

export class PostfixBackend implements Engine {
  readonly dataDir: string
  readonly queue: MailQueue
  private readonly tools: PostfixTools
  private readonly logs: PostfixLogs
  private readonly settings: PostfixSettingsPort
  private readonly now: () => number
  private readonly listeners = new Map<keyof ApiEvents, Set<(payload: never) => void>>()
  private readonly downloads = new PendingDownloads()
  private readonly handlers: Handlers
  private closed = false
  /** Test emails followed through the log: what stops each. */
  private readonly following = new Set<() => void>()
  /** When Edit Settings last saved: a failure before it may be fixed, and Flush Queue tries the new settings. */
  private settingsSavedAt: number | null = null

  constructor(options: PostfixBackendOptions) {
    this.dataDir = options.dataDir
    this.tools = options.tools
    this.logs = options.logs
    this.settings = options.settings
    this.now = options.now ?? Date.now
    this.queue = new MailQueue({
      dataDir: options.dataDir,
      tools: options.tools,
      now: this.now,
      onChanged: (reason) => this.emit('queue.changed', { reason }),
      onProgress: (p) => this.emit('queue.progress', p),
    })
    this.handlers = this.makeHandlers()
  }

  private makeHandlers(): Handlers {
    const q = this.queue
    const notOnPostfix = (what: string) => () => {
      throw new PostfixError('conflict', what)
    }
    return {
      'status.get': () => this.status(),
      'settings.get': () => this.settings.get(),
      'settings.update': (req) => this.updateSettings(req),
      'settings.preview': async (req) => ({ changes: await this.settings.preview(req) }),
      'settings.undo': async () => {
        const view = await this.settings.undo()
        this.settingsSavedAt = this.now()
        this.emit('settings.changed', { fields: [] })
        return view
      },
      'dkim.generateKey': notOnPostfix(
        'DKIM keys are not made by SMTP Console on a Postfix server: Postfix signs through a milter such as OpenDKIM, whose key is kept on the server.',
      ),
      'mail.sendTest': (req) => this.sendTest(req.to, req.subject),
      // Postfix keeps no SMTP transcript; the Mail Log has what its log says.
      'mail.transcript': () => null,
      'queue.list': (req) => q.list(req),
      'queue.summary': () => q.summary(),
      'queue.get': async (req) => {
        const { headers: _headers, ...detail } = await q.get(req.queueId)
        return detail
      },
      'queue.source': (req) => q.source(req.queueId),
      'message.get': (req) => this.message(req.queueId),
      'queue.flush': () => q.flush(),
      'queue.deleteAll': () => q.deleteAll(),
      'queue.delete': (req) => q.delete(req.queueId),
      'queue.hold': (req) => q.hold(req.queueId),
      'queue.release': (req) => q.release(req.queueId),
      'queue.retry': (req) => q.retry(req.queueId),
      'queue.countMatching': async (req) => ({ count: await q.countMatching(req.filter) }),
      'queue.actOnMatching': (req) => q.actOnMatching(req.filter, req.action),
      'mailLog.list': (req) => this.fromLogs('mailLog.list', req),
      'events.list': (req) => this.fromLogs('events.list', req),
      'logs.exportCsv': (req) => ({ kind: 'download' as const, filename: this.exportCsv(req).filename, href: `${EXPORT_PATH}${this.downloads.add(req)}` }),
      'reports.day': (req) => this.fromLogs('reports.day', req),
      'reports.export': (req) => this.fromLogs('reports.export', req),
      'diagnostics.run': notOnPostfix(
        'The Troubleshooting checks test the console’s own delivery. On a Postfix server, its Mail Log shows each delivery’s reply, and posttls-finger on the server tests its TLS to a relay.',
      ),
      // No alert monitor watches a Postfix server's queue (it emits no alerts.raised), so nothing stands.
      'alerts.current': () => ({ alerts: [], badge: { count: 0 } }),
    }
  }

  async call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>> {
    if (this.closed) return { ok: false, error: { code: 'conflict', message: 'This Postfix system is closed.' } }
    try {
      const handler = this.handlers[method] as Handler<M>
      return { ok: true, data: await handler(request) }
    } catch (err) {
      return { ok: false, error: this.apiError(method, err) }
    }
  }

  private apiError(method: string, err: unknown): ApiError {
    const e = err instanceof Error ? err : new Error(String(err))
    if (e instanceof RunnerError) return unreachableError(e, `The Postfix server on ${this.tools.runner.where}`)
    if (e instanceof PostfixError) return { code: e.code, message: e.message }
    // The settings' field errors, a conflict (nothing to undo), a stale cursor, a full disk: as the embedded engine says them.
    return toApiError(method, e, this.dataDir).error
  }

  /** The log index's answer, its errors as they are. */
  private async fromLogs<M extends 'mailLog.list' | 'events.list' | 'reports.day' | 'reports.export'>(method: M, req: ApiParsedRequest<M>): Promise<ApiResponse<M>> {
    const r = await this.logs.call(method, req)
    if (!r.ok) throw new PostfixError(r.error.code, r.error.message)
    return r.data
  }

  private async status(): Promise<Status> {
    const [counts, s, view] = await Promise.all([this.queue.counts(), this.settings.effective(), this.settings.get()])
    const throughRelay = Boolean(s.relayHost)
    const health = healthFromLog(
      this.logs.deferralsSinceLastSent(),
      { throughRelay, host: throughRelay ? s.relayHost : undefined, port: throughRelay ? effectiveRelayPort(s) : undefined },
      this.settingsSavedAt,
    )
    return {
      ...settingsStatus(s, 25),
      counts,
      lastDeliveryAt: health.lastSentAt,
      secretStorage: view.secretStorage,
      dataDir: this.dataDir,
      settingsProblem: null,
      storageProblem: null,
      health,
    }
  }

  private async updateSettings(req: ApiParsedRequest<'settings.update'>): Promise<SettingsView> {
    const before = (await this.settings.get()).settings
    const after = await this.settings.update(req)
    this.settingsSavedAt = this.now()
    const fields = Object.keys(after.settings).filter((k) => JSON.stringify(before[k as keyof SettingsFields]) !== JSON.stringify(after.settings[k as keyof SettingsFields]))
    this.emit('settings.changed', { fields })
    return after
  }

  private async sendTest(to: string, subject: string | undefined): Promise<{ queueId: string; messageId: string }> {
    const s = await this.settings.effective()
    const mail = await composeTestMail(s, to, subject, this.tools.runner.where, this.now())
    let queueId = await submitTestMail(this.tools, mail, s.fromAddress, to)
    for (let i = 0; queueId === null && i < QUEUE_ID_POLLS; i++) {
      await new Promise((r) => setTimeout(r, QUEUE_ID_POLL_MS))
      await this.logs.catchUp()
      queueId = this.logs.queueIdOf(mail.messageId)
    }
    this.queue.snapshot.refresh()
    this.emit('queue.changed', { reason: 'test email' })
    if (queueId !== null) this.following.add(followTestMail(queueId, [to], { logs: this.logs, emit: (p) => this.emit('delivery.progress', p), where: this.tools.runner.where, now: this.now }))
    if (queueId === null) {
      throw new PostfixError(
        'conflict',
        `The test email to ${to} was handed to Postfix on ${this.tools.runner.where} (Message-ID ${mail.messageId}), but its queue id is not in the mail log yet: look for it in the Mail Log in a moment.`,
      )
    }
    return { queueId, messageId: mail.messageId }
  }

  /** A message's story from the log, its detail and source from postcat while it is queued. */
  private async message(queueId: string): Promise<MessageStory> {
    const outcomes = this.logs.outcomes(queueId)
    let inQueue: Awaited<ReturnType<MailQueue['get']>> | null = null
    try {
      inQueue = await this.queue.get(queueId)
    } catch (err) {
      if (!(err instanceof PostfixError && err.code === 'not_found')) throw err
    }
    if (!inQueue && outcomes.length === 0) throw new PostfixError('not_found', `No message ${queueId} is in the queue or the Mail Log.`)
    const sender = inQueue?.sender ?? null
    const story = storyOf(queueId, sender ?? '', outcomes)
    if (inQueue) {
      const { headers: _h, ...detail } = inQueue
      let source: MessageStory['source']
      try {
        const s = await this.queue.source(queueId)
        source = { kind: 'kept', source: s.source, truncated: s.truncated, size: inQueue.size }
      } catch (err) {
        if (!(err instanceof PostfixError && err.code === 'not_found')) throw err
        source = { kind: 'gone', at: this.now(), note: 'It left the queue as it was opened.' }
      }
      return { queueId, inQueue: detail, sender, subject: detail.subject, messageId: detail.messageId || null, story, headers: source.kind === 'kept' ? headersOf(source.source) : [], source }
    }
    return {
      queueId,
      inQueue: null,
      sender: null,
      subject: null,
      messageId: null,
      story,
      headers: [],
      source: { kind: 'gone', at: null, note: 'Postfix keeps a message only while it is queued: it left the queue, and its source with it.' },
    }
  }

  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (event === 'mailLog.appended' || event === 'events.appended') return this.logs.on(event, listener as (p: ApiEvents['mailLog.appended' | 'events.appended']) => void)
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  private emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (p: ApiEvents[E]) => void)(payload)
  }

  exportCsv(request: LogExportRequest): LogCsvExport {
    return this.logs.exportCsv(request)
  }

  takeDownload(id: string): LogCsvExport | null {
    const request = this.downloads.take(id)
    return request ? this.logs.exportCsv(request) : null
  }

  /** Closes the snapshot, the log index and the runner it was given. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const stop of this.following) stop()
    this.queue.close()
    await this.logs.close()
    await this.tools.runner.close()
  }
}

export function openPostfixBackend(options: PostfixBackendOptions): Promise<PostfixBackend> {
  return Promise.resolve(new PostfixBackend(options))
}
