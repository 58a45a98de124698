import type { ApiEvents, EngineMethod, ApiParsedRequest, ApiResponse, LogExportRequest, Result } from '../../../shared/api.ts'
import type { Blocklist } from '../diagnostics/dns/input.ts'
import type { LogCsvExport } from '../logs/log-export.ts'
import type { SecretCipher } from '../settings/secrets.ts'
import type { ListenerLimits } from '../listener/listener.ts'

/** A settings store with the shape of `conf` (and so of electron-store, its subclass). */
export interface SettingsBackend {
  get store(): Record<string, unknown>
  set store(value: Record<string, unknown>)
  readonly path: string
}

export interface EngineOptions {
  dataDir: string
  /**
   * Where settings live; defaults to a `conf` file in dataDir. Give a factory
   * for a backend that reads the file when made (conf, electron-store): it is
   * made at the first save, so a file it cannot parse is reported, not thrown.
   */
  settingsBackend?: SettingsBackend | (() => SettingsBackend)
  /** Defaults to the AES-256-GCM key file in dataDir. */
  cipher?: SecretCipher
  /** For tests: the base URL Microsoft 365's and Google's token endpoints are asked at instead (else SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE). */
  oauthEndpointOverride?: string
  /** For tests: a clock in ms. */
  now?: () => number
  /** Start the delivery worker (default true). */
  startWorker?: boolean
  /** DNS servers for direct delivery, `host:port`; defaults to SMTP_CONSOLE_DNS_SERVERS or the system's. */
  dnsServers?: string[]
  /** Port for direct delivery; defaults to SMTP_CONSOLE_DIRECT_PORT or 25. */
  directPort?: number
  /** The DNS blocklists the Troubleshooting checks ask; defaults to Spamhaus ZEN, Barracuda and SpamCop. For tests. */
  blocklists?: Blocklist[]
  /** 'like' searches the logs as a SQLite without FTS5 does (log-search.ts); for tests. */
  logSearch?: 'auto' | 'like'
  /** Local submission's bounds (tests lower them) and grouping of commits (the benchmark turns it off to compare). */
  /**
   * Local submission: its limits; grouping false commits each message alone (the benchmark's baseline);
   * thread: the module its sessions run in (the build's listener-thread.js), false to run them in the
   * engine's thread; by default the source module beside the engine's when it runs from its sources.
   */
  listener?: { limits?: Partial<ListenerLimits>; grouping?: boolean; thread?: URL | false }
}

export interface Engine {
  /** Calls one API method with an already-parsed request; errors come back as values. */
  call<M extends EngineMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>>
  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
  /** The CSV of what a Mail Log or Logs filter selects, streamed (log-export.ts). */
  exportCsv(request: LogExportRequest): LogCsvExport
  /** The export a `logs.exportCsv` link was made for, once; null when unknown, used or expired. */
  takeDownload(id: string): LogCsvExport | null
  /** Stops taking work, aborts or finishes deliveries in flight, closes the database. */
  close(): Promise<void>
  readonly dataDir: string
}
