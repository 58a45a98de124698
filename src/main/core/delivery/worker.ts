import type { RetryPolicy } from '../queue/backoff.ts'
import { isPassingWriteTrouble } from '../storage/db.ts'
import type { ClaimedMessage, OutcomeSummary, Queue } from '../queue/queue.ts'
import { forEach, internalFailure, unreadableSecret, type RecipientOutcome } from '../queue/outcome.ts'
import { SecretUnreadable } from '../settings/secrets.ts'
import { STOP_NOW, type SessionHooks } from './session.ts'
import type { Transport } from './transport.ts'

// The delivery worker: takes due messages from the queue with bounded
// concurrency, hands each to the transport, records what happened. It never
// writes the queue's tables itself; the queue does.

export interface WorkerDeps {
  queue: Queue
  transport: () => Transport
  policy: () => RetryPolicy
  concurrency: () => number
  /** Progress and transcript for a message someone is watching, or undefined. */
  hooksFor: (msg: ClaimedMessage) => SessionHooks | undefined
  onAttempt: (msg: ClaimedMessage, outcomes: RecipientOutcome[], summary: OutcomeSummary, hooks: SessionHooks | undefined) => void
  onError: (err: Error) => void
  /**
   * The database refused to record finished attempts (disk full, read-only):
   * `waiting` outcomes are held in memory and recorded again until it takes
   * them; called with null once it has.
   */
  onRecordTrouble?: (err: Error | null, waiting: number) => void
  /** The worker has had nothing in flight and nothing due for a while: a moment for housekeeping (a checkpoint). */
  onIdle?: () => void
  /** The engine's clock, the one the queue's due times are in. */
  now: () => number
}

/**
 * How long the worker stays idle before onIdle. A burst arriving message by message leaves
 * the worker idle between messages, and a checkpoint (two fsyncs) in every such gap cost the
 * event loop more than the deliveries did.
 */
export const IDLE_AFTER_MS = 1_000

/** The longest the worker sleeps without looking again, so a changed clock cannot strand the queue. */
const MAX_SLEEP_MS = 60_000

/** Recording refused outcomes again: soon at first, then every few seconds until the disk has room. */
const RECORD_RETRY_FIRST_MS = 250
const RECORD_RETRY_MAX_MS = 5_000

interface Finished {
  msg: ClaimedMessage
  outcomes: RecipientOutcome[]
  hooks: SessionHooks | undefined
}

export class DeliveryWorker {
  private readonly deps: WorkerDeps
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>()
  private timer: NodeJS.Timeout | null = null
  private scheduled = false
  private stopped = false
  private paused: boolean
  /** Set while a bulk delete runs: nothing new is claimed from rows about to go. */
  private suspended = false
  private finished: (Finished & { resolve: () => void })[] = []
  private recordScheduled = false
  /**
   * Attempts that happened but that the database refused to record. Their
   * messages stay active, so nothing sends them again; the outcome (a 250
   * included) is recorded as soon as the database takes it.
   */
  private unrecorded: Finished[] = []
  private recordRetryMs = RECORD_RETRY_FIRST_MS
  private recordRetryTimer: NodeJS.Timeout | null = null
  private recordFailing = false
  /** Whether the worker has done anything since it was last idle, so onIdle comes once per quiet spell. */
  private busy = false
  private idleTimer: NodeJS.Timeout | null = null
  private readonly idleAfterMs: number
  /** Claimed (active in the queue) and waiting for a free session. */
  private ready: ClaimedMessage[] = []

  constructor(deps: WorkerDeps, options: { paused?: boolean; idleAfterMs?: number } = {}) {
    this.deps = deps
    this.paused = options.paused ?? false
    this.idleAfterMs = options.idleAfterMs ?? IDLE_AFTER_MS
  }

  /** Starts (or resumes) taking work from the queue. */
  start(): void {
    this.paused = false
    this.wake()
  }

  /** Stops claiming (true) or claims again (false); deliveries in flight go on either way. */
  suspend(on: boolean): void {
    this.suspended = on
    if (!on) this.wake()
  }

  get activeCount(): number {
    return this.inFlight.size
  }

  /**
   * How many messages the worker would start at once: its free sessions, none while it is
   * paused, suspended, stopped or holding outcomes the disk refused, or while claimed
   * messages wait for a session (they go first).
   */
  room(): number {
    if (this.stopped || this.paused || this.suspended || this.unrecorded.length || this.ready.length) return 0
    return Math.max(0, this.deps.concurrency() - this.inFlight.size)
  }

  /** Takes messages claimed for it elsewhere (at submit, see room()); stopped, it gives them back to the queue. */
  adopt(msgs: ClaimedMessage[]): void {
    if (msgs.length === 0) return
    if (this.stopped) {
      try {
        this.deps.queue.unclaim(msgs.map((m) => m.id))
      } catch {
        // Refused (disk full): they stay active and the next start gives them back.
      }
      return
    }
    this.ready.push(...msgs)
    this.wake()
  }

  /** Looks for due work soon; many calls in a row make one look. */
  wake(): void {
    if (this.stopped || this.paused || this.suspended || this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.stopped || this.paused || this.suspended) return
    // Nothing new is taken while outcomes wait to be recorded: the disk that refused them would refuse the next ones too.
    if (this.unrecorded.length && !this.recordUnrecorded()) return
    try {
      const concurrency = this.deps.concurrency()
      let room = concurrency - this.inFlight.size
      // When the next message falls due, if known: the look that finds nothing to claim also sets the timer.
      let due: number | null | undefined
      if (room > 0 && this.ready.length === 0) {
        due = this.deps.queue.nextDueAt()
        if (due !== null && due <= this.deps.now()) {
          // Claiming a session's worth at a time keeps commits few when the queue is long.
          this.ready = this.deps.queue.claimDue(concurrency)
          due = undefined
        }
      }
      while (room > 0 && this.ready.length) {
        this.launch(this.ready.shift()!)
        room--
      }
      this.scheduleNext(due)
      if (this.inFlight.size > 0) {
        this.busy = true
        this.cancelIdle()
      } else if (this.busy && this.ready.length === 0) {
        this.busy = false
        this.idleSoon()
      }
    } catch (err) {
      this.deps.onError(err as Error)
      this.sleep(5_000)
    }
  }

  /** onIdle once the worker has stayed idle for idleAfterMs; work taken meanwhile cancels it. */
  private idleSoon(): void {
    if (!this.deps.onIdle) return
    this.cancelIdle()
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      if (!this.stopped && !this.busy && this.inFlight.size === 0) this.deps.onIdle?.()
    }, this.idleAfterMs)
    this.idleTimer.unref()
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  private scheduleNext(known?: number | null): void {
    if (this.inFlight.size >= this.deps.concurrency() || this.ready.length) return
    const due = known !== undefined ? known : this.deps.queue.nextDueAt()
    if (due === null) return this.sleep(MAX_SLEEP_MS)
    this.sleep(Math.max(0, Math.min(due - this.deps.now(), MAX_SLEEP_MS)))
  }

  private sleep(ms: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.wake()
    }, ms)
    this.timer.unref()
  }

  private launch(msg: ClaimedMessage): void {
    const controller = new AbortController()
    const done = this.run(msg, controller)
    this.inFlight.set(msg.queueId, { controller, done })
  }

  private async run(msg: ClaimedMessage, controller: AbortController): Promise<void> {
    const hooks = this.deps.hooksFor(msg)
    let outcomes: RecipientOutcome[]
    try {
      outcomes = await this.deps.transport().deliver({
        queueId: msg.queueId,
        from: msg.sender,
        recipients: msg.recipients,
        raw: msg.raw,
        signal: controller.signal,
        ...(hooks ? { hooks } : {}),
      })
    } catch (err) {
      if (err instanceof SecretUnreadable) {
        outcomes = forEach(msg.recipients, unreadableSecret(err))
      } else {
        // A fault of ours, not of the server: keep the message and say so.
        this.deps.onError(err as Error)
        outcomes = forEach(msg.recipients, internalFailure(err as Error))
      }
    }
    await new Promise<void>((resolve) => {
      this.finished.push({ msg, outcomes, hooks, resolve })
      if (!this.recordScheduled) {
        this.recordScheduled = true
        setImmediate(() => this.recordFinished())
      }
    })
  }

  /**
   * Records every attempt that finished since the last turn in one
   * transaction: with many sessions busy, one commit serves many messages.
   */
  private recordFinished(): void {
    this.recordScheduled = false
    const batch = this.finished
    this.finished = []
    if (this.unrecorded.length) {
      // Behind outcomes already waiting: recorded in order, when the database takes them.
      this.unrecorded.push(...batch)
      this.recordUnrecorded()
    } else {
      this.record(batch)
    }
    for (const b of batch) {
      this.inFlight.delete(b.msg.queueId)
      b.resolve()
    }
    this.wake()
  }

  /** Records a batch in one transaction; when refused, holds it for recordUnrecorded. Returns whether it was recorded. */
  private record(batch: Finished[]): boolean {
    let summaries: OutcomeSummary[]
    try {
      summaries = this.deps.queue.recordAttempts(batch, this.deps.policy())
    } catch (err) {
      if (!isPassingWriteTrouble(err)) return this.recordOneByOne(batch, err as Error)
      // Disk full or read-only: giving the messages back would need a write too, and would send a delivered message again.
      this.unrecorded.push(...batch)
      // Said once per spell, not at every retry.
      if (!this.recordFailing) this.deps.onError(err as Error)
      this.recordFailing = true
      this.deps.onRecordTrouble?.(err as Error, this.unrecorded.length)
      this.scheduleRecordRetry()
      return false
    }
    batch.forEach((b, i) => {
      try {
        this.deps.onAttempt(b.msg, b.outcomes, summaries[i]!, b.hooks)
      } catch (err) {
        this.deps.onError(err as Error)
      }
    })
    return true
  }

  /**
   * A write refused for what it holds, not for the disk (a bug, a damaged
   * row), would be refused again at every retry and hold all delivery back:
   * each message is tried alone, and one that still fails is left active,
   * said in the event log, and retried at the next start.
   */
  private recordOneByOne(batch: Finished[], err: Error): boolean {
    if (batch.length > 1) {
      let all = true
      for (const b of batch) all = this.record([b]) && all
      return all
    }
    const [b] = batch
    this.deps.onError(new Error(`The outcome of ${b!.msg.queueId}'s delivery attempt could not be recorded (${err.message}); the message stays active and is tried again at the next start.`))
    return true
  }

  /** Tries again to record the held outcomes; returns whether none are left. */
  private recordUnrecorded(): boolean {
    if (this.unrecorded.length === 0) return true
    const batch = this.unrecorded
    this.unrecorded = []
    if (!this.record(batch)) return false
    this.recordFailing = false
    if (this.recordRetryTimer) clearTimeout(this.recordRetryTimer)
    this.recordRetryTimer = null
    this.recordRetryMs = RECORD_RETRY_FIRST_MS
    this.deps.onRecordTrouble?.(null, 0)
    this.wake()
    return true
  }

  private scheduleRecordRetry(): void {
    if (this.recordRetryTimer || this.stopped) return
    this.recordRetryTimer = setTimeout(() => {
      this.recordRetryTimer = null
      if (!this.recordUnrecorded()) this.recordRetryMs = Math.min(this.recordRetryMs * 2, RECORD_RETRY_MAX_MS)
    }, this.recordRetryMs)
    this.recordRetryTimer.unref()
  }

  /** Queue ids whose delivery is under way or whose outcome is not recorded yet. */
  inFlightIds(): Set<string> {
    const ids = new Set(this.inFlight.keys())
    // Held while the database refused them (a full disk): their outcome is still to be written.
    for (const b of this.unrecorded) ids.add(b.msg.queueId)
    return ids
  }

  /** Aborts the delivery of one message, if it is in flight. */
  abort(queueId: string): void {
    this.ready = this.ready.filter((m) => m.queueId !== queueId)
    this.inFlight.get(queueId)?.controller.abort()
  }

  /** Aborts every delivery; `now` also stops those waiting for the server's answer to a message it has whole. */
  abortAll(now = false): void {
    this.ready = []
    for (const { controller } of this.inFlight.values()) controller.abort(now ? STOP_NOW : undefined)
  }

  /** Waits until nothing is in flight (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight.values()].map((f) => f.done))
  }

  /** Stops taking work; lets deliveries in flight finish for up to `graceMs`, then aborts them. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.cancelIdle()
    if (this.ready.length) {
      try {
        this.deps.queue.unclaim(this.ready.map((m) => m.id))
      } catch {
        // Refused (disk full): they stay active and the next start gives them back.
      }
      this.ready = []
    }
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done))
    let timeout: NodeJS.Timeout | undefined
    const expired = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), graceMs)
    })
    if ((await Promise.race([all, expired])) === 'timeout') {
      // The grace was the time to answer: nothing more is waited for.
      this.abortAll(true)
      // An aborted delivery settles at once; the bound is a guard, never a wait for the network.
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, graceMs).unref())])
    }
    clearTimeout(timeout)
    if (this.recordRetryTimer) clearTimeout(this.recordRetryTimer)
    // A last try; what is still refused stays active in the queue, and the next start gives it back to be sent again.
    if (this.unrecorded.length) this.recordUnrecorded()
  }
}
