import type { RecipientOutcome } from '../queue/outcome.ts'
import { SessionError, SmtpSession, type SessionTarget } from './session.ts'
import type { DeliveryJob, Transport } from './transport.ts'

// Delivery through one relay host. Sessions are pooled and reused for many
// messages, as a relay expects of a busy client; a watched (test) message
// gets a session of its own so its transcript is its own.

/** Messages per pooled session before it is replaced, so no session lives forever. */
const MESSAGES_PER_SESSION = 100

/**
 * How long an unused session is kept. Postfix caches a connection for 2 s
 * (smtp_connection_cache_time_limit); relays drop idle clients after a while,
 * and a session they dropped without our noticing would cost a message a deferral.
 */
export const IDLE_MS = 2000

export class RelayTransport implements Transport {
  private readonly target: SessionTarget
  private readonly maxIdle: number
  private idle: { session: SmtpSession; since: number }[] = []
  private closed = false
  private sweeper: NodeJS.Timeout | null = null

  constructor(target: SessionTarget, maxIdle: number) {
    this.target = target
    this.maxIdle = maxIdle
  }

  async deliver(job: DeliveryJob): Promise<RecipientOutcome[]> {
    const watched = Boolean(job.hooks)
    let session: SmtpSession
    try {
      session = watched ? await SmtpSession.open(this.target, job.hooks!, job.signal) : await this.acquire(job.signal)
    } catch (err) {
      if (err instanceof SessionError) return job.recipients.map((recipient) => ({ recipient, ...err.outcome }))
      throw err
    }
    try {
      return await session.send(job.from, job.recipients, job.raw, job.signal)
    } finally {
      if (watched) session.close()
      else this.releaseSession(session)
    }
  }

  private async acquire(signal: AbortSignal): Promise<SmtpSession> {
    this.sweep()
    while (this.idle.length) {
      const { session } = this.idle.pop()!
      if (session.alive) return session
    }
    return SmtpSession.open(this.target, {}, signal)
  }

  private releaseSession(s: SmtpSession): void {
    if (!this.closed && s.alive && s.messagesSent < MESSAGES_PER_SESSION && this.idle.length < this.maxIdle) {
      this.idle.push({ session: s, since: Date.now() })
      this.sweeper ??= setInterval(() => this.sweep(), IDLE_MS / 2).unref()
    } else {
      s.close()
    }
  }

  /** Closes sessions unused for longer than IDLE_MS. */
  private sweep(): void {
    const now = Date.now()
    const keep = this.idle.filter(({ session, since }) => {
      if (now - since <= IDLE_MS && session.alive) return true
      session.close()
      return false
    })
    this.idle = keep
    if (!keep.length && this.sweeper) {
      clearInterval(this.sweeper)
      this.sweeper = null
    }
  }

  close(): void {
    this.closed = true
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweeper = null
    for (const { session } of this.idle) session.close()
    this.idle = []
  }
}
