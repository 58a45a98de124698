import type { FlushOutcome } from '../../../shared/types.ts'
import type { ClaimedMessage, OutcomeSummary } from '../queue/queue.ts'

// What Flush Queue did, as it becomes known: the messages it made due are
// counted as their attempts end (sent, still deferred, bounced), so the page
// can say "27 sent, 0 still deferred" rather than "being retried".

interface Following {
  /** The flush covers the messages that existed when it began (row ids up to this one)… */
  upTo: number
  /** …except those already being delivered then: their attempt began before the flush. */
  inFlight: ReadonlySet<string>
  /** How many it made due; null until the flush has gone through the whole queue. */
  total: number | null
  counted: Set<string>
  sent: number
  deferred: number
  bounced: number
}

export class FlushFollower {
  private following: Following | null = null

  /** Begins following a flush before its first chunk, so attempts the chunks wake are counted. */
  start(upTo: number, inFlight: ReadonlySet<string>): void {
    this.following = { upTo, inFlight, total: null, counted: new Set(), sent: 0, deferred: 0, bounced: 0 }
  }

  /** The flush went through the queue: `total` messages are due now. */
  made(total: number): FlushOutcome | null {
    if (!this.following) return null
    this.following.total = total
    return this.outcome()
  }

  stop(): void {
    this.following = null
  }

  /** Counts the first attempt after the flush of a message it covers; the outcome so far, or null when this attempt is not one. */
  record(msg: ClaimedMessage, summary: OutcomeSummary): FlushOutcome | null {
    const f = this.following
    if (!f || msg.id > f.upTo || f.inFlight.has(msg.queueId) || f.counted.has(msg.queueId) || summary.result === 'vanished') return null
    if (f.total !== null && f.counted.size >= f.total) return null
    f.counted.add(msg.queueId)
    if (summary.result === 'deferred') f.deferred++
    else if (summary.sent > 0) f.sent++
    else f.bounced++
    const outcome = this.outcome()
    // Every message it made due has had its attempt: nothing more to follow.
    if (outcome && outcome.waiting === 0 && f.total !== null) this.following = null
    return outcome
  }

  private outcome(): FlushOutcome | null {
    const f = this.following
    if (!f) return null
    const known = f.sent + f.deferred + f.bounced
    return { sent: f.sent, deferred: f.deferred, bounced: f.bounced, waiting: f.total === null ? 0 : Math.max(0, f.total - known) }
  }
}
