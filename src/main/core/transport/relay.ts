import type { RecipientOutcome } from '../queue.ts'
import { SessionError, SmtpSession, type SessionTarget } from './session.ts'
import type { DeliveryJob, Transport } from './transport.ts'

// Delivery through one relay host. Sessions are pooled and reused for many
// messages, as a relay expects of a busy client; a watched (test) message
// gets a session of its own so its transcript is its own.

/** Messages per pooled session before it is replaced, so no session lives forever. */
const MESSAGES_PER_SESSION = 100

export class RelayTransport implements Transport {
  private readonly target: SessionTarget
  private readonly maxIdle: number
  private idle: SmtpSession[] = []
  private closed = false

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
    while (this.idle.length) {
      const s = this.idle.pop()!
      if (s.alive) return s
    }
    return SmtpSession.open(this.target, {}, signal)
  }

  private releaseSession(s: SmtpSession): void {
    if (!this.closed && s.alive && s.messagesSent < MESSAGES_PER_SESSION && this.idle.length < this.maxIdle) this.idle.push(s)
    else s.close()
  }

  close(): void {
    this.closed = true
    for (const s of this.idle) s.close()
    this.idle = []
  }
}
