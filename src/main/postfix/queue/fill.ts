import type { QueueState } from '../../../shared/types.ts'

// One reading of the queue (one `postqueue -j`) into the snapshot: a
// generation. Its rows are numbered as they arrive, so a page can be answered
// as soon as the rows it shows are in, while the rest is still being read.

/** Row ids of a generation: gen × SPAN + (SPAN − 1 − seq), so newest-first paging by id reads mailq's order. */
export const SPAN = 2 ** 32

export function idOf(gen: number, seq: number): number {
  return gen * SPAN + (SPAN - 1 - seq)
}

export function genOf(id: number): number {
  return Math.floor(id / SPAN)
}

export function seqOf(id: number): number {
  return SPAN - 1 - (id % SPAN)
}

export class Fill {
  readonly gen: number
  readonly startedAt: number
  /** Rows read so far. */
  rows = 0
  done = false
  error: Error | null = null
  finishedAt: number | null = null
  readonly byState: Record<QueueState, number> = { queued: 0, active: 0, deferred: 0, hold: 0 }
  /** Pending recipients per domain, for the summary. */
  readonly byDomain = new Map<string, number>()
  readonly controller = new AbortController()
  private waiters: { rows: number; state: QueueState | undefined; resolve: () => void; reject: (err: Error) => void }[] = []

  constructor(gen: number, now: number) {
    this.gen = gen
    this.startedAt = now
  }

  /** The ids this generation's rows take, [low, high). */
  get range(): [number, number] {
    return [this.gen * SPAN, (this.gen + 1) * SPAN]
  }

  get aborted(): boolean {
    return this.controller.signal.aborted
  }

  /** Resolves once `rows` rows (of one state, when given) are in or the reading has ended; rejects when it failed first. */
  until(rows: number, state?: QueueState): Promise<void> {
    if (this.error) return Promise.reject(this.error)
    if (this.done || this.has(rows, state)) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ rows, state, resolve, reject }))
  }

  private has(rows: number, state: QueueState | undefined): boolean {
    return (state ? this.byState[state] : this.rows) >= rows
  }

  /** Wakes the waiters whose rows are in (all of them once it ended). */
  wake(): void {
    const still: typeof this.waiters = []
    for (const w of this.waiters) {
      if (this.error) w.reject(this.error)
      else if (this.done || this.has(w.rows, w.state)) w.resolve()
      else still.push(w)
    }
    this.waiters = still
  }

  finish(error: Error | null, now: number): void {
    this.error = error
    this.done = error === null
    this.finishedAt = now
    this.wake()
  }
}
