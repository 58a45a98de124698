import { effectiveRelayPort, effectiveTls, type SettingsFields } from '../../../shared/settings.ts'
import type { RecipientOutcome } from '../queue/outcome.ts'
import { DirectTransport } from './direct.ts'
import { RelayTransport } from './relay.ts'
import type { SessionAuth, SessionHooks, SessionTarget } from './session.ts'

// How the delivery worker reaches the world: a relay, or the recipients' MX hosts.

export interface DeliveryJob {
  queueId: string
  from: string
  recipients: string[]
  raw: Buffer
  signal: AbortSignal
  /** Progress and transcript, for messages the admin is watching (test sends). */
  hooks?: SessionHooks
}

export interface Transport {
  deliver(job: DeliveryJob): Promise<RecipientOutcome[]>
  /** Closes idle connections; deliveries in flight finish or fail on their own. */
  close(): void
}

/** The relay's SASL login: Username and Password, or the Username and an OAuth 2.0 token source. */
export type RelayAuth = SessionAuth

export interface TransportOptions {
  /** Port for direct delivery (25, or a test's). */
  directPort: number
  /** DNS servers for direct delivery, `host:port`; null for the system's. */
  dnsServers: string[] | null
  /** Reads the relay's login when a session first needs it. */
  auth: () => Promise<RelayAuth | null>
}

/** The transport the settings describe: direct to MX hosts without a Relay Host, else through the relay. */
export function buildTransport(s: SettingsFields, options: TransportOptions): Transport {
  const base = {
    tls: effectiveTls(s),
    verifyCertificate: s.verifyCertificate,
    caPem: s.caPem,
    ehloName: s.hostname,
    connectionTimeoutMs: s.connectionTimeoutSec * 1000,
    greetingTimeoutMs: s.greetingTimeoutSec * 1000,
    socketTimeoutMs: Math.max(60_000, s.connectionTimeoutSec * 2000),
  }
  if (s.relayHost === '') return new DirectTransport({ base, port: options.directPort, dnsServers: options.dnsServers })
  // The password is read at delivery time: a lazy transport keeps it out of memory until needed.
  return new LazyAuthRelay(options.auth, { ...base, host: s.relayHost, port: effectiveRelayPort(s), direct: false, allowPlainAuth: s.allowPlainAuth }, s.concurrency)
}

/** A relay transport that reads the password when the first session needs it. */
class LazyAuthRelay implements Transport {
  private inner: Promise<RelayTransport> | null = null
  private readonly auth: () => Promise<RelayAuth | null>
  private readonly target: Omit<SessionTarget, 'auth'>
  private readonly maxIdle: number
  constructor(auth: () => Promise<RelayAuth | null>, target: Omit<SessionTarget, 'auth'>, maxIdle: number) {
    this.auth = auth
    this.target = target
    this.maxIdle = maxIdle
  }
  private get(): Promise<RelayTransport> {
    this.inner ??= (async () => new RelayTransport({ ...this.target, auth: await this.auth() }, this.maxIdle))()
    // A failure (a password that cannot be decrypted) is tried again next time, not cached.
    this.inner.catch(() => (this.inner = null))
    return this.inner
  }
  async deliver(job: DeliveryJob): Promise<RecipientOutcome[]> {
    return (await this.get()).deliver(job)
  }
  close(): void {
    this.inner?.then((t) => t.close()).catch(() => undefined)
  }
}
