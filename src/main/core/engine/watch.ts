import type { DeliveryProgress, DeliveryStage } from '../../../shared/types.ts'
import { explainCause } from '../errors/decoder.ts'
import type { OutcomeSummary, ClaimedMessage } from '../queue/queue.ts'
import type { RecipientOutcome } from '../queue/outcome.ts'
import type { SessionHooks } from '../delivery/session.ts'
import type { Notifier } from './notifier.ts'

// Deliveries followed step by step: every test email, and the next attempt of
// a message retried by hand. Their attempts report progress to the window and
// keep an SMTP transcript.

export class Watch {
  private readonly notifier: Notifier
  private readonly now: () => number
  /** Messages retried by hand, by queue id: their next attempt reports progress and keeps a transcript, as a test email does. */
  private readonly watched = new Set<string>()

  constructor(notifier: Notifier, now: () => number) {
    this.notifier = notifier
    this.now = now
  }

  /** Follows the next attempt of this message. */
  add(queueId: string): void {
    this.watched.add(queueId)
  }

  forget(queueId: string): void {
    this.watched.delete(queueId)
  }

  clear(): void {
    this.watched.clear()
  }

  /** The messages whose next attempt is followed (tests check none is left behind). */
  watching(): string[] {
    return [...this.watched]
  }

  progress(queueId: string, stage: DeliveryStage, detail: string, extra: Partial<DeliveryProgress> = {}): void {
    this.notifier.emit('delivery.progress', { queueId, stage, at: this.now(), detail, ...extra } satisfies DeliveryProgress)
  }

  /** The hooks of an attempt that is followed, or undefined. */
  hooksFor(msg: ClaimedMessage): SessionHooks | undefined {
    // A watch covers the next attempt only: taken here, it cannot outlive a message that fails to record.
    const watched = this.watched.delete(msg.queueId)
    if (!msg.isTest && !watched) return undefined
    return {
      transcript: [],
      progress: (stage, detail, extra) => this.progress(msg.queueId, stage, detail, extra?.relay ? { relay: extra.relay } : {}),
    }
  }

  /** Reports how a followed attempt ended, one progress event per recipient. */
  reportAttempt(msg: ClaimedMessage, outcomes: RecipientOutcome[], summary: OutcomeSummary): void {
    for (const o of outcomes) {
      const stage: DeliveryStage = o.kind === 'sent' ? 'sent' : o.kind === 'bounced' ? 'bounced' : summary.expired ? 'expired' : 'deferred'
      const explanation = o.cause ? explainCause(o.cause) : null
      const detail =
        o.kind === 'sent'
          ? `Delivered to ${o.recipient} via ${o.relay}`
          : stage === 'bounced'
            ? `${o.recipient} bounced: the message will not be retried`
            : stage === 'expired'
              ? `${o.recipient} expired: the message outlived the maximal queue lifetime`
              : `${o.recipient} deferred: the message stays in the queue and is retried`
      this.progress(msg.queueId, stage, detail, {
        recipient: o.recipient,
        ...(stage === 'deferred' && summary.nextAttemptAt ? { nextAttemptAt: summary.nextAttemptAt } : {}),
        ...(o.relay ? { relay: o.relay } : {}),
        ...(o.reply ? { reply: o.reply } : {}),
        ...(explanation ? { explanation } : {}),
      })
    }
  }
}
