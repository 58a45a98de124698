import { accessSync, chmodSync, constants, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import type { ApiEvents, EngineMethod as ApiMethod, ApiParsedRequest, ApiResponse, LogExportRequest, LogExportResult, Result } from '../../../shared/api.ts'
import { formatBytes } from '../../../shared/format.ts'
import { FIELD_LABELS, PASSWORD_LABEL } from '../../../shared/labels.ts'
import { effectiveRelayPort, SASL_WITHOUT_TLS_NOTE, settingsStatus, saslNeedsStarttls, type SettingsFields } from '../../../shared/settings.ts'
import type { Status } from '../../../shared/types.ts'
import { EXPORT_PATH } from '../../../shared/wire.ts'
import { Checkpointer } from '../storage/checkpointer.ts'
import { checkpointTruncate, openDatabase, walSyncer, type WalSyncer, StorageError, storageErrorOf } from '../storage/db.ts'
import { DeliveryWorker } from '../delivery/worker.ts'
import { InputError, toApiError } from './api-errors.ts'
import { BulkRunner } from './bulk.ts'
import { makeHandlers, type EngineParts, type Handlers } from './handlers.ts'
import { Notifier } from './notifier.ts'
import { checkSubmission, composeDraft, testMessage, type Submission } from './submit.ts'
import { Watch } from './watch.ts'
import type { Blocklist } from '../diagnostics/dns/input.ts'
import type { Engine, EngineOptions } from './engine-types.ts'
import { explainCause } from '../errors/decoder.ts'
import { stopsEveryDelivery } from '../errors/scope.ts'
import { DeliveryHealthTracker, healthEvent, type HealthContext } from './health.ts'
import { FlushFollower } from './follow.ts'
import { EventLog } from '../logs/event-log.ts'
import { favourSmallHeap } from './heap.ts'
import { KeyFileCipher } from '../settings/key-file-cipher.ts'
import { Transcripts } from '../logs/transcripts.ts'
import { MailLog } from '../logs/mail-log.ts'
import { logCsv, PendingDownloads, type LogCsvExport } from '../logs/log-export.ts'
import { LogIndexer } from '../logs/log-indexer.ts'
import { Queue, type ClaimedMessage, type NewMessage, type OutcomeSummary } from '../queue/queue.ts'
import type { RecipientOutcome } from '../queue/outcome.ts'
import { QueueView } from '../queue/queue-view.ts'
import { SentSources } from '../queue/sent-sources.ts'
import { openConfBackend, SettingsStore } from '../settings/settings-store.ts'
import type { SessionHooks } from '../delivery/session.ts'
import { buildTransport, type RelayAuth, type Transport } from '../delivery/transport.ts'
import { grantConfigFor, makeGrant } from '../oauth/grants.ts'
import { TokenCache } from '../oauth/token-cache.ts'
import { GroupCommit } from '../listener/group-commit.ts'
import { SubmitHandoff } from './submit-handoff.ts'
import { signMessage } from '../queue/dkim-sign.ts'
import { dkimAligned } from '../../../shared/dkim.ts'
import { ListenerHost, sourceThreadEntry } from '../listener/listener-host.ts'
import { AlertMonitor } from '../alerts/monitor.ts'

// The engine's lifecycle: it opens the database, wires the store, the queue,
// the worker and the transports, starts and stops them, and answers the
// adapters' calls through the handlers (engine/handlers.ts), their exceptions
// turned into the API's error values (engine/api-errors.ts).

export type { Submission } from './submit.ts'

/** Log rows removed per transaction by the retention prune: ~50 ms each at 10M rows. */
export const PRUNE_CHUNK = 5_000

export class CoreEngine implements Engine, EngineParts {
  readonly dataDir: string
  readonly db: DatabaseSync
  readonly queue: Queue
  /** The queue as the admin reads it: listing, counts, summary, one message. */
  readonly queueView: QueueView
  /** Sources of messages that left the queue, kept for Keep sent messages so they can still be opened. */
  readonly sentSources: SentSources
  readonly mailLog: MailLog
  readonly transcripts: Transcripts
  readonly events: EventLog
  readonly settings: SettingsStore
  readonly worker: DeliveryWorker
  readonly notifier = new Notifier()
  /** Whether mail is going out: the dashboard's health line, and the outage's error in Logs. */
  readonly health = new DeliveryHealthTracker()
  /** What the last Flush Queue's messages became, counted as their attempts end. */
  readonly flushFollower = new FlushFollower()
  readonly watch: Watch
  /** Delete Queue, Flush Queue and actions on a filter, in chunks, one at a time. */
  readonly bulk: BulkRunner
  /** Local submission: SMTP clients' messages, committed to the queue a group at a time. */
  readonly listener: ListenerHost
  readonly listenerCommit: GroupCommit
  /** The fsync of the write-ahead log that makes local submission's commits durable. */
  private readonly walSync: WalSyncer
  private readonly now: () => number
  /** Port for direct delivery: 25, or a test's. */
  readonly directPort: number
  /** The resolver's servers for direct delivery and the checks; null for the system's. */
  readonly dnsServers: string[] | null
  /** Test-only: where Microsoft 365's and Google's token endpoints are asked instead. */
  private readonly oauthEndpointOverride: string | null
  /** The blocklists dns.blocklist asks; undefined for the real ones. */
  readonly blocklists: Blocklist[] | undefined
  private transport: Transport | null = null
  private pruneTimer: NodeJS.Timeout | null = null
  private sourcePruneTimer: NodeJS.Timeout | null = null
  private pruning: Promise<void> | null = null
  private pruningSources: Promise<void> | null = null
  private closed = false
  private readonly downloads = new PendingDownloads()
  /** Fills the logs' search indexes in the background, so writing a log row stays cheap. */
  readonly logIndexer: LogIndexer
  private readonly handlers: Handlers
  /** Whether the worker runs at all (tests keep it paused); a damaged settings file pauses it on its own. */
  private readonly runWorker: boolean
  /** Why finished deliveries cannot be recorded (disk full, read-only), while they cannot. */
  private storageProblem: string | null = null
  /** Alerts that do not depend on mail: deferred, bounced, a queue past its thresholds. */
  readonly alerts: AlertMonitor
  /** Copies the write-ahead log into the database on a thread of its own. */
  readonly checkpointer: Checkpointer

  private constructor(options: EngineOptions, db: DatabaseSync) {
    this.dataDir = options.dataDir
    this.db = db
    this.now = options.now ?? Date.now
    this.checkpointer = new Checkpointer(db, join(options.dataDir, 'queue.sqlite'), {
      onStopped: (reason) => this.logEvent('warning', 'storage', `Copying the write-ahead log into the database moved back to the main thread: ${reason}. Nothing is lost; long actions may answer more slowly.`),
    })
    this.mailLog = new MailLog(db)
    this.transcripts = new Transcripts(db)
    this.events = new EventLog(db, this.now)
    this.logIndexer = new LogIndexer(db, {
      onError: (err) => this.logEvent('warning', 'logs', `Indexing the logs for search failed: ${err.message}. Searches still find every row, more slowly; indexing resumes by itself.`),
      // Indexing writes after the worker went idle: the write-ahead log is truncated again once it has caught up.
      onCaughtUp: () => {
        if (this.worker.activeCount === 0) checkpointTruncate(this.db, join(this.dataDir, 'queue.sqlite'))
      },
    })
    this.queueView = new QueueView(db, this.mailLog, this.now)
    const settingsSource = options.settingsBackend ?? (() => openConfBackend(options.dataDir))
    this.settings = new SettingsStore(settingsSource, options.cipher ?? new KeyFileCipher(options.dataDir), {
      file: typeof settingsSource === 'function' ? join(options.dataDir, 'settings.json') : settingsSource.path,
      savedBefore: settingsSavedBefore(db),
    })
    this.sentSources = new SentSources(db, () => this.settings.problem === null && this.settings.get().sourceRetentionDays > 0)
    this.queue = new Queue(db, this.mailLog, this.queueView, this.now, this.sentSources)
    this.runWorker = options.startWorker !== false
    this.directPort = options.directPort ?? (Number(process.env.SMTP_CONSOLE_DIRECT_PORT) || 25)
    const dns = options.dnsServers ?? process.env.SMTP_CONSOLE_DNS_SERVERS?.split(',').map((s) => s.trim()).filter(Boolean)
    this.dnsServers = dns && dns.length ? dns : null
    this.oauthEndpointOverride = options.oauthEndpointOverride ?? (process.env.SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE?.trim() || null)
    this.blocklists = options.blocklists
    this.watch = new Watch(this.notifier, this.now)
    this.worker = new DeliveryWorker({
      queue: this.queue,
      transport: () => this.currentTransport(),
      policy: () => this.settings.get(),
      concurrency: () => this.settings.get().concurrency,
      hooksFor: (msg) => this.watch.hooksFor(msg),
      onAttempt: (msg, outcomes, summary, hooks) => this.afterAttempt(msg, outcomes, summary, hooks),
      onError: (err) => this.logEvent('error', 'delivery', `Delivery worker error: ${storageErrorOf(err, this.dataDir)?.message ?? err.message}`),
      onRecordTrouble: (err, waiting) => this.recordTrouble(err, waiting),
      onIdle: () => checkpointTruncate(this.db, join(this.dataDir, 'queue.sqlite')),
      now: this.now,
    }, { paused: !this.runWorker || this.settings.problem !== null })
    this.bulk = new BulkRunner({ db: this.db, indexer: this.logIndexer, queue: this.queue, queueView: this.queueView, worker: this.worker, watch: this.watch, notifier: this.notifier })
    this.handlers = makeHandlers(this)
    this.walSync = walSyncer(this.db, join(this.dataDir, 'queue.sqlite'))
    const handoff = new SubmitHandoff(this.queue, this.worker)
    this.listenerCommit = new GroupCommit({
      // Committed at once, made durable by an fsync of the log off the event loop, before any 250.
      submit: (messages) => handoff.submit(messages),
      sync: () => this.walSync.sync(),
      synced: (ids) => handoff.synced(ids),
      committed: (n) => {
        this.listener.committed(n)
        this.queueChanged(n)
      },
      ...(options.listener?.grouping === false ? { maxBatch: 1 } : {}),
    })
    this.listener = new ListenerHost({
      dataDir: this.dataDir,
      settings: () => this.settings.get(),
      password: () => this.settings.listenPassword(),
      commit: this.listenerCommit,
      // A thread reads the real clock: an engine on a test's clock keeps its sessions in its own thread.
      thread: options.listener?.thread === false || options.now ? null : (options.listener?.thread ?? sourceThreadEntry()),
      countSince: (at) => this.mailLog.receivedFromClientsSince(at),
      storageTrouble: (err) => (isDiskFull(err) ? 'full' : storageErrorOf(err, this.dataDir) ? 'other' : null),
      logEvent: (level, message, details) => this.logEvent(level, 'listener', message, details),
      changed: () => this.notifier.soon('queue.changed'),
      sign: async (raw, fromDomain) => {
        const key = await this.settings.dkimSigningKey()
        return key && fromDomain && dkimAligned(key.domainName, fromDomain) ? signMessage(raw, key) : raw
      },
      now: this.now,
      ...(options.listener?.limits ? { limits: options.listener.limits } : {}),
    })
    this.alerts = new AlertMonitor({
      queue: this.queueView,
      settings: () => this.settings.get(),
      now: this.now,
      raise: (alert) => {
        // Logged as info: an alert retells deferrals and bounces, and must not count twice in a day's warnings and errors.
        this.logEvent('info', 'alerts', `${alert.title}: ${alert.body}`, { kind: alert.kind, severity: alert.severity, waiting: alert.waiting })
        this.notifier.emit('alerts.raised', alert)
      },
      badge: (badge) => this.notifier.emit('alerts.badge', badge),
    })
  }

  /** Messages were queued: the pages refresh and the worker looks for due mail. */
  private queueChanged(appended: number): void {
    this.notifier.soon('queue.changed')
    this.notifier.soon('mailLog.appended', appended)
    this.worker.wake()
  }

  static async open(options: EngineOptions): Promise<CoreEngine> {
    favourSmallHeap()
    openDataDir(options.dataDir)
    const db = openDatabase(join(options.dataDir, 'queue.sqlite'), { logSearch: options.logSearch })
    let engine: CoreEngine
    try {
      engine = new CoreEngine(options, db)
    } catch (err) {
      db.close()
      throw err
    }
    try {
      engine.start(options)
    } catch (err) {
      void engine.checkpointer.stop()
      db.close()
      const message = (err as Error).message
      if (/malformed|not a database|corrupt/i.test(message)) {
        throw new StorageError(`${join(options.dataDir, 'queue.sqlite')} is damaged (${message}). Nothing was changed. Move the file aside to start with an empty queue, or restore it from a backup.`)
      }
      throw storageErrorOf(err, options.dataDir) ?? err
    }
    return engine
  }

  private start(options: EngineOptions): void {
    const problem = this.settings.problem
    if (problem) this.logEvent('error', 'settings', problem.message, { file: problem.file, fields: problem.fields })
    else if (existsSync(this.settings.file)) this.markSettingsSaved()
    if (this.settings.cleanedAtLoad.length) {
      this.logEvent('warning', 'settings', `${this.settings.cleanedAtLoad.join(', ')} in the settings file held control characters (a tab, say) that this version refuses; they were read as spaces. Save Edit Settings to keep it so.`)
    }
    if (this.settings.removedTemps.length) {
      this.logEvent('info', 'settings', `Removed ${this.settings.removedTemps.length} unfinished settings save(s) left by a crash: ${this.settings.removedTemps.join(', ')}.`)
    }
    // Settings saved before the password needed TLS may now defer where they used to log in: said at every start.
    if (!problem && saslNeedsStarttls(this.settings.get())) this.logEvent('warning', 'settings', SASL_WITHOUT_TLS_NOTE)
    if (this.oauthEndpointOverride) {
      this.logEvent('warning', 'settings', `SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE is set: Microsoft 365 and Google access tokens are asked of ${this.oauthEndpointOverride}, not of the providers. It is meant for tests only.`)
    }
    if (!problem) this.health.seed(this.mailLog.deferralsSinceLastSent(), this.healthContext())
    const recovered = this.queue.recoverActive()
    this.logEvent('info', 'engine', 'SMTP Console engine started', { dataDir: options.dataDir, queued: this.queueView.count() })
    if (recovered) this.logEvent('warning', 'queue', `${recovered} message(s) were being delivered when the console stopped; they will be retried now (a recipient may get a message twice).`)
    void this.resealSecrets()
    void this.prune()
    this.pruneTimer = setInterval(() => void this.prune(), 24 * 3600 * 1000)
    this.pruneTimer.unref()
    // The kept sources fill as mail goes out: their size cap is kept hourly, not daily.
    this.sourcePruneTimer = setInterval(() => void this.pruneSources(), 3600 * 1000)
    this.sourcePruneTimer.unref()
    this.logIndexer.start()
    // Bodies a Delete Queue left when the console stopped are freed now.
    if (this.queue.bodies.pending) this.bulk.sweepBodies()
    // The queue is looked at for alerts whenever it changes, and on a timer for the age of its oldest message.
    this.notifier.on('queue.changed', () => this.alerts.check())
    this.notifier.on('settings.changed', () => this.alerts.check())
    this.alerts.start()
    this.worker.wake()
    // A settings file that cannot be read leaves the listener off: it would take mail under defaults.
    if (!problem) void this.listener.apply()
  }

  /** Secrets the cipher wants sealed again (the keychain back, a rotated key), and those it cannot open now, said in the event log. */
  private async resealSecrets(): Promise<void> {
    try {
      const { resealed, unreadable } = await this.settings.resealSecrets()
      if (resealed.length) this.logEvent('info', 'settings', `${resealed.join(', ')} sealed again: ${this.settings.view().secretStorage.description}`)
      for (const message of unreadable) this.logEvent('warning', 'settings', message)
    } catch (err) {
      this.logEvent('warning', 'settings', `The stored secrets could not be sealed again: ${(err as Error).message}. They are kept as they were.`)
    }
  }

  // ---- events ---------------------------------------------------------

  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    return this.notifier.on(event, listener)
  }

  logEvent(level: 'info' | 'warning' | 'error', source: string, message: string, details?: Record<string, unknown>): void {
    try {
      this.events.append(level, source, message, details)
      this.notifier.soon('events.appended')
    } catch {
      // The event log is best effort; a full disk must not stop the queue.
    }
  }

  // ---- transports -----------------------------------------------------

  private currentTransport(): Transport {
    if (!this.transport) {
      this.transport = buildTransport(this.settings.get(), { directPort: this.directPort, dnsServers: this.dnsServers, auth: () => this.relayAuth() })
    }
    return this.transport
  }

  /**
   * The SASL login for the relay, read when the first session needs it: the password stays out of memory
   * until then. An OAuth 2.0 Sign-in method gets a token cache, which lives as long as the transport.
   */
  async oauthToken(settings: SettingsFields): Promise<string> {
    const grant = makeGrant(grantConfigFor(settings, await this.settings.oauthSecrets()), { endpointOverride: this.oauthEndpointOverride, now: this.now })
    return (await grant()).value
  }

  private async relayAuth(): Promise<RelayAuth | null> {
    const s = this.settings.get()
    if (!s.useSasl) return null
    if (s.authMethod === 'password') return { user: s.username, pass: (await this.settings.password()) ?? '' }
    const grant = makeGrant(grantConfigFor(s, await this.settings.oauthSecrets()), { endpointOverride: this.oauthEndpointOverride, now: this.now })
    return { user: s.username, token: new TokenCache(grant, this.now) }
  }

  private afterAttempt(msg: ClaimedMessage, outcomes: RecipientOutcome[], summary: OutcomeSummary, hooks: SessionHooks | undefined): void {
    this.notifier.soon('queue.changed')
    this.notifier.soon('mailLog.appended', outcomes.length)
    if (hooks?.transcript) this.transcripts.save({ queueId: msg.queueId, attempt: msg.attempts + 1, at: this.now(), lines: hooks.transcript })
    // A message deleted while in flight: its aborted attempt is no news, and nothing will be retried.
    if (summary.result === 'vanished') outcomes = outcomes.filter((o) => o.kind !== 'deferred')
    const flushed = this.flushFollower.record(msg, summary)
    if (flushed) this.notifier.emit('queue.progress', { action: 'flush', done: 0, total: 0, finished: true, outcome: flushed })
    const ctx = this.healthContext()
    const said = healthEvent(this.health.record(outcomes, summary.at, ctx), msg.queueId, outcomes, this.now())
    if (said) {
      this.logEvent(said.level, 'delivery', said.message, said.details)
      this.notifier.soon('queue.changed')
    }
    for (const o of outcomes) {
      if (o.kind === 'sent') continue
      const explanation = o.cause ? explainCause(o.cause) : null
      if (hooks || summary.expired) {
        // A failure that stops every delivery is an error, as a bounce is; a deferral of this message alone is a warning.
        const level = o.kind === 'bounced' || (o.cause !== null && stopsEveryDelivery(o.cause, ctx.throughRelay)) ? 'error' : 'warning'
        this.logEvent(level, 'delivery', `${msg.queueId}: ${o.recipient} ${o.kind}: ${explanation?.summary ?? o.reply ?? ''}`, {
          queueId: msg.queueId,
          reply: o.reply,
          relay: o.relay,
          cause: o.cause,
        })
      }
    }
    if (hooks) this.watch.reportAttempt(msg, outcomes, summary)
    this.alerts.noteAttempt(outcomes, summary.expired)
  }

  /** Where deliveries go now: through the relay (named in the health line) or direct. */
  private healthContext(): HealthContext {
    const s = this.settings.get()
    return s.relayHost ? { throughRelay: true, host: s.relayHost, port: effectiveRelayPort(s) } : { throughRelay: false }
  }

  // ---- operations -----------------------------------------------------

  /** Validates, composes and queues messages; durable when it returns. */
  async submit(items: Submission[]): Promise<{ queueId: string; messageId: string }[]> {
    // A message composed now would carry defaults (From Address, Hostname) the admin never chose.
    if (this.settings.problem) throw new StorageError(`Nothing was queued. ${this.settings.problem.message}`)
    const s = this.settings.get()
    const drafts: NewMessage[] = []
    for (const item of items) checkSubmission(item)
    // Read once per batch: the key is unsealed when mail is composed, not kept in clear before.
    const dkim = await this.settings.dkimSigningKey()
    for (const item of items) {
      const draft = await composeDraft(item, s, this.now(), dkim)
      const { raw } = draft
      if (raw.length > s.maxMessageSizeBytes) {
        throw new InputError(
          `The message is ${formatBytes(raw.length)}, over the limit of ${formatBytes(s.maxMessageSizeBytes)} set in ${FIELD_LABELS.maxMessageSizeBytes} (Edit Settings, Advanced).`,
        )
      }
      drafts.push(draft)
    }
    const ids = this.queue.submit(drafts)
    this.queueChanged(ids.length)
    return ids.map((queueId, i) => ({ queueId, messageId: drafts[i]!.messageId }))
  }

  async sendTest(to: string, subject: string | undefined): Promise<{ queueId: string; messageId: string }> {
    const [result] = await this.submit([testMessage(this.settings.get(), to, subject, this.now())])
    this.watch.progress(result!.queueId, 'queued', `Queued as ${result!.queueId} for ${to}`, { recipient: to })
    this.logEvent('info', 'test', `Test email to ${to} queued as ${result!.queueId}`, { queueId: result!.queueId })
    return result!
  }

  status(): Status {
    const s = this.settings.get()
    return {
      ...settingsStatus(s, this.directPort),
      counts: this.queueView.counts(),
      lastDeliveryAt: this.mailLog.lastSentAt(),
      secretStorage: this.settings.view().secretStorage,
      dataDir: this.dataDir,
      settingsProblem: this.settings.problem,
      storageProblem: this.storageProblem,
      listener: this.listener.status(),
      health: this.health.view(this.settings.problem !== null),
    }
  }

  private recordTrouble(err: Error | null, waiting: number): void {
    const before = this.storageProblem
    if (err) {
      const why = storageErrorOf(err, this.dataDir)?.message ?? `The database refused a write (${err.message}).`
      this.storageProblem =
        `${why} ${waiting} finished delivery attempt(s) could not be recorded: they are kept and recorded as soon as the database takes them, ` +
        'and no new delivery starts until then. Their messages show as active meanwhile.'
    } else {
      this.storageProblem = null
      if (before) this.logEvent('info', 'queue', 'The database takes writes again: the delivery attempts it had refused are recorded, and delivery goes on.')
    }
    // The dashboard reads the problem from the status, which a queue change refreshes.
    if (before !== this.storageProblem) this.notifier.soon('queue.changed')
  }

  /** Remembers that settings were saved here, so a settings file that later goes missing is not taken for a first start. */
  private markSettingsSaved(): void {
    try {
      this.db.prepare("INSERT OR IGNORE INTO meta (k, v) VALUES ('settings_saved', ?)").run(String(this.now()))
    } catch {
      // Best effort: without the mark a missing file reads as a first start, as it did before.
    }
  }

  /** Saves settings, starts again with a new transport, and says in Logs what changed (and what TLS protection was given up). */
  async saveSettings(req: ApiParsedRequest<'settings.update'>): Promise<ApiResponse<'settings.update'>> {
    const before = this.settings.get()
    const damaged = this.settings.problem
    const { changed, keptAs } = await this.settings.update(req)
    this.markSettingsSaved()
    this.health.settingsSaved(this.now())
    if (this.transport) {
      this.transport.close()
      this.transport = null
    }
    if (changed.length) {
      const weakened = weakenedTls(before, this.settings.get())
      this.logEvent(weakened ? 'warning' : 'info', 'settings', `Settings saved: ${changed.join(', ')} changed.${weakened}`, { fields: changed })
      this.notifier.emit('settings.changed', { fields: changed })
    } else {
      this.logEvent('info', 'settings', 'Settings saved: nothing changed.')
    }
    if (damaged || LISTENER_FIELDS.some((k) => JSON.stringify(before[k]) !== JSON.stringify(this.settings.get()[k])) || req.listenPassword !== undefined) {
      await this.listener.apply()
    }
    if (damaged) {
      this.logEvent('info', 'settings', `Valid settings saved over the damaged ${damaged.file}${keptAs ? `, kept as ${keptAs}` : ''}; delivery resumes.`, { file: damaged.file, keptAs })
      if (this.runWorker) this.worker.start()
    }
    this.worker.wake()
    return this.settings.view()
  }

  async call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>> {
    if (this.closed) return { ok: false, error: { code: 'internal', message: 'The engine has stopped; restart SMTP Console.' } }
    try {
      const handler = this.handlers[method] as (req: ApiParsedRequest<M>) => Promise<ApiResponse<M>> | ApiResponse<M>
      return { ok: true, data: await handler(request) }
    } catch (err) {
      const { error, internal } = toApiError(method, err as Error, this.dataDir)
      if (internal) this.logEvent('error', 'engine', `${method} failed: ${(err as Error).message}`)
      return { ok: false, error }
    }
  }

  exportCsv(request: LogExportRequest): LogCsvExport {
    return logCsv({ db: this.db, mailLog: this.mailLog, events: this.events, now: this.now }, request)
  }

  /** A browser cannot be handed a file: it gets a one-time link to download it from (web/export-route.ts). */
  exportLink(request: LogExportRequest): LogExportResult {
    return { kind: 'download', filename: this.exportCsv(request).filename, href: `${EXPORT_PATH}${this.downloads.add(request)}` }
  }

  takeDownload(id: string): LogCsvExport | null {
    const request = this.downloads.take(id)
    return request ? this.exportCsv(request) : null
  }

  /**
   * Removes log rows older than the retention, PRUNE_CHUNK rows per transaction with
   * the event loop free between them: a month of an incident's rows is hundreds of
   * thousands, seconds of work that must not freeze the console. One runs at a time:
   * a call while one runs waits for it.
   */
  prune(): Promise<void> {
    // Log retention may be the field that could not be read: keep every row until it is known again.
    if (this.settings.problem) return Promise.resolve()
    this.pruning ??= this.pruneInChunks().finally(() => (this.pruning = null))
    return this.pruning
  }

  private async pruneInChunks(): Promise<void> {
    const before = this.now() - this.settings.get().logRetentionDays * 86400 * 1000
    const inChunks = async (prune: (limit: number) => number): Promise<number> => {
      let removed = 0
      for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK && !this.closed; ) {
        n = prune(PRUNE_CHUNK)
        removed += n
        await new Promise((resolve) => setImmediate(resolve))
      }
      return removed
    }
    try {
      const mail = await inChunks((limit) => this.mailLog.prune(before, limit))
      const events = await inChunks((limit) => this.events.prune(before, limit))
      if (!this.closed) this.transcripts.prune(before)
      await inChunks((limit) => this.sentSources.forgetOlderThan(before, limit))
      await this.pruneSourcesInChunks(inChunks)
      if (mail || events) this.logEvent('info', 'retention', `Removed ${mail} mail log and ${events} event log rows older than ${this.settings.get().logRetentionDays} days.`)
    } catch (err) {
      if (!this.closed) this.logEvent('error', 'retention', `Pruning old log rows failed: ${(err as Error).message}`)
    }
  }

  /** Drops kept sources past Keep sent messages or its size cap, in chunks as prune() does. */
  pruneSources(): Promise<void> {
    if (this.settings.problem) return Promise.resolve()
    const run = async () => {
      try {
        await this.pruneSourcesInChunks(async (prune) => {
          let removed = 0
          for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK && !this.closed; ) {
            n = prune(PRUNE_CHUNK)
            removed += n
            await new Promise((resolve) => setImmediate(resolve))
          }
          return removed
        })
      } catch (err) {
        if (!this.closed) this.logEvent('error', 'retention', `Pruning kept message sources failed: ${(err as Error).message}`)
      }
    }
    // One at a time; apart from the logs' prune, so that an hourly run never stands in for the daily one.
    this.pruningSources ??= run().finally(() => (this.pruningSources = null))
    return this.pruningSources
  }

  private async pruneSourcesInChunks(inChunks: (prune: (limit: number) => number) => Promise<number>): Promise<void> {
    const s = this.settings.get()
    const now = this.now()
    const byAge = await inChunks((limit) => this.sentSources.pruneOlderThan(now - s.sourceRetentionDays * 86400 * 1000, limit, now))
    const bySize = await inChunks((limit) => this.sentSources.pruneToSize(s.sourceRetentionBytes, limit, now))
    if (byAge || bySize) this.logEvent('info', 'retention', `Pruned the sources of ${byAge + bySize} sent message(s): ${byAge} older than ${s.sourceRetentionDays} days, ${bySize} over the ${formatBytes(s.sourceRetentionBytes)} limit.`)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    if (this.sourcePruneTimer) clearInterval(this.sourcePruneTimer)
    this.alerts.stop()
    // A Delete Queue in progress stops between chunks: what it did is whole, the rest can be deleted again.
    await this.bulk.stop()
    // Clients still in a session hear 421; messages already in a commit are written before the database closes.
    await this.listener.stop()
    await this.walSync.close()
    this.logIndexer.stop()
    await this.worker.stop()
    await this.checkpointer.stop()
    this.transport?.close()
    this.notifier.close()
    try {
      this.events.append('info', 'engine', 'SMTP Console engine stopped')
    } catch {
      // Closing goes on even if the last event cannot be written.
    }
    this.db.close()
  }
}

/** The settings local submission is started with: a change to one restarts it. */
const LISTENER_FIELDS: readonly (keyof SettingsFields)[] = [
  'listenEnabled', 'listenAddress', 'listenPort', 'listenRequireAuth', 'listenUsername', 'listenStarttls', 'listenCertFile', 'listenKeyFile', 'maxMessageSizeBytes', 'hostname',
]

/** SQLITE_FULL or ENOSPC: a client is told 452 4.3.1 and may try again later. */
function isDiskFull(err: unknown): boolean {
  const { code, errcode } = err as { code?: string; errcode?: number }
  return code === 'ENOSPC' || (typeof errcode === 'number' && (errcode & 0xff) === 13)
}

/** What a save gave up of TLS's protection, in words for a warning event; '' when nothing. */
function weakenedTls(before: SettingsFields, after: SettingsFields): string {
  let said = ''
  if (before.verifyCertificate && !after.verifyCertificate) {
    said += ` ${FIELD_LABELS.verifyCertificate} was turned off: server certificates are no longer checked, so a machine on the network path could pose as the server.`
  }
  if (!before.allowPlainAuth && after.allowPlainAuth) {
    said += ` ${FIELD_LABELS.allowPlainAuth} was turned on: the ${PASSWORD_LABEL} is sent in clear to a relay that offers no STARTTLS.`
  }
  return said
}

/** Creates the data directory, or takes an existing one, as 0700: the queue holds every message in full. */
function openDataDir(dataDir: string): void {
  try {
    // Node's recursive mkdir reports a read-only parent as ENOENT: the nearest one that exists is asked instead.
    let parent = dataDir
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent)
    if (parent !== dataDir) accessSync(parent, constants.W_OK)
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    // Root passes permission checks, not a read-only mount: either way the queue could not be written.
    accessSync(dataDir, constants.W_OK)
  } catch (err) {
    throw storageErrorOf(err, dataDir) ?? err
  }
  try {
    if ((statSync(dataDir).mode & 0o777) !== 0o700) chmodSync(dataDir, 0o700)
  } catch {
    // Not ours to change (another owner): its files are still created 0600.
  }
}

export async function openEngine(options: EngineOptions): Promise<CoreEngine> {
  return CoreEngine.open(options)
}

/**
 * Whether settings were ever saved with this database, so a settings file
 * that is missing now is a loss, not a first start. The mark in meta is
 * written by this version; a database of an older version has only the
 * "Settings saved" events each save logged (kept for the log retention).
 */
function settingsSavedBefore(db: DatabaseSync): boolean {
  if (db.prepare("SELECT 1 FROM meta WHERE k = 'settings_saved'").get() !== undefined) return true
  return db.prepare("SELECT 1 FROM events WHERE source = 'settings' AND message LIKE 'Settings saved%' LIMIT 1").get() !== undefined
}
