import { performance } from 'node:perf_hooks'
import type { NewMessage } from '../queue/queue.ts'

// Group commit: each message local submission accepts must be on disk before
// its 250, and a durable commit costs an fsync. Messages whose DATA ends while
// one commit runs wait for the next, which takes them all in one transaction:
// one fsync for many sessions, so durability does not cap the rate at one
// fsync per message. The commit is the queue's own submit (synchronous=FULL).

export interface GroupCommitOptions {
  /** The queue's durable submit: every message of the batch, or none. */
  submit(messages: NewMessage[]): string[]
  /** Told after each commit how many messages it took. */
  committed?(count: number): void
  /** 1 commits each message alone (the ungrouped baseline the benchmark compares with). */
  maxBatch?: number
}

interface Waiting {
  message: NewMessage
  resolve(queueId: string): void
  reject(err: Error): void
}

/** A batch is capped so one commit's wait stays short for the first message in it. */
export const MAX_BATCH = 500

export class GroupCommit {
  private readonly options: GroupCommitOptions
  private readonly maxBatch: number
  private waiting: Waiting[] = []
  private scheduled = false
  private idle: (() => void)[] = []
  /** Commits made, messages they took and the time spent in them (the event loop waits meanwhile), for the benchmark. */
  readonly stats = { commits: 0, messages: 0, commitMs: 0 }

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

  /** Resolves when nothing waits for a commit. */
  drained(): Promise<void> {
    if (this.waiting.length === 0 && !this.scheduled) return Promise.resolve()
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
        batch.forEach((w, i) => w.resolve(ids[i]!))
        this.options.committed?.(batch.length)
      }
    }
    if (this.waiting.length > 0) this.schedule()
    else for (const done of this.idle.splice(0)) done()
  }
}
