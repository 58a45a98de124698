import { performance } from 'node:perf_hooks'
import type { NewMessage } from '../queue/queue.ts'

// Group commit: each message local submission accepts must be on disk before
// its 250, and making it so costs an fsync. Messages are written to the queue
// in one transaction, then an fsync of the log makes them durable; the fsync
// runs off the event loop, which answers other sessions meanwhile. The
// messages that arrive while an fsync runs wait for it to end and go together
// in the next transaction and the next fsync: durability does not cap the
// rate at one fsync per message, nor at one transaction per message.

export interface GroupCommitOptions {
  /**
   * The queue's submit: every message of the batch, or none. With `sync`, it
   * commits without waiting for the disk; without, it is durable on return.
   */
  submit(messages: NewMessage[]): string[]
  /** Makes every transaction committed before the call durable (an fsync of the write-ahead log). */
  sync?(): Promise<void>
  /** Told after each commit how many messages it took, before its fsync begins. */
  committed?(count: number): void
  /** Told the queue ids whose fsync has ended, whether or not it succeeded: they are in the queue either way. */
  synced?(queueIds: string[]): void
  /** 1 commits each message alone (the ungrouped baseline the benchmark compares with). */
  maxBatch?: number
}

interface Waiting {
  message: NewMessage
  resolve(queueId: string): void
  reject(err: Error): void
}

interface Written {
  queueId: string
  resolve(queueId: string): void
  reject(err: Error): void
}

/** A batch is capped so one commit's wait stays short for the first message in it. */
export const MAX_BATCH = 500

export class GroupCommit {
  private readonly options: GroupCommitOptions
  private readonly maxBatch: number
  private waiting: Waiting[] = []
  /** Committed, waiting for an fsync to make them durable. */
  private written: Written[] = []
  private syncing = false
  private scheduled = false
  private idle: (() => void)[] = []
  /** Commits made, messages they took, the time spent in them (the event loop waits meanwhile) and the fsyncs, for the benchmark. */
  readonly stats = { commits: 0, messages: 0, commitMs: 0, syncs: 0 }

  constructor(options: GroupCommitOptions) {
    this.options = options
    this.maxBatch = Math.max(1, options.maxBatch ?? MAX_BATCH)
  }

  /** Resolves with the queue id once the message is durable in the queue; rejects when the commit failed (nothing of it was written). */
  add(message: NewMessage): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ message, resolve, reject })
      this.schedule()
    })
  }

  /** Resolves when nothing waits for a commit or an fsync. */
  drained(): Promise<void> {
    if (this.waiting.length === 0 && this.written.length === 0 && !this.scheduled && !this.syncing) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  // After the I/O phase: every session whose data arrived meanwhile has added its message by then.
  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.commit())
  }

  private commit(): void {
    this.scheduled = false
    // While an fsync runs, messages wait and go in one transaction after it: their 250s could not
    // come before the next fsync anyway, and a transaction costs nearly as much for one as for many.
    if (this.syncing) return
    const batch = this.waiting.splice(0, this.maxBatch)
    if (batch.length > 0) {
      let ids: string[] | null = null
      const started = performance.now()
      try {
        ids = this.options.submit(batch.map((w) => w.message))
      } catch (err) {
        for (const w of batch) w.reject(err as Error)
      }
      this.stats.commitMs += performance.now() - started
      if (ids) {
        this.stats.commits++
        this.stats.messages += batch.length
        // Told in the turn of the transaction, before anything else runs: what counts the
        // messages then agrees with what reads their rows.
        this.options.committed?.(batch.length)
        const done = ids
        if (this.options.sync) {
          batch.forEach((w, i) => this.written.push({ queueId: done[i]!, resolve: w.resolve, reject: w.reject }))
          this.startSync()
        } else {
          batch.forEach((w, i) => w.resolve(done[i]!))
          this.options.synced?.(done)
        }
      }
    }
    if (this.waiting.length > 0) this.schedule()
    else this.settleIdle()
  }

  /** One fsync at a time; messages that arrive while it runs are committed after it, for the next. */
  private startSync(): void {
    if (this.syncing || this.written.length === 0) return
    this.syncing = true
    const covered = this.written
    this.written = []
    this.stats.syncs++
    this.options.sync!().then(
      () => {
        for (const w of covered) w.resolve(w.queueId)
      },
      // Committed but not known to be on disk: the client must not hear 250; it will send again.
      (err: Error) => {
        for (const w of covered) w.reject(err)
      },
    ).finally(() => {
      this.syncing = false
      this.options.synced?.(covered.map((w) => w.queueId))
      if (this.waiting.length) this.schedule()
      else this.startSync()
      this.settleIdle()
    })
  }

  private settleIdle(): void {
    if (this.waiting.length || this.written.length || this.syncing || this.scheduled) return
    for (const done of this.idle.splice(0)) done()
  }
}
