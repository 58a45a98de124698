// Push events can arrive in bursts (a flush delivers thousands of messages);
// each store refetches at most once per interval, after the burst's first event.

export interface Refresher {
  /** Asks for a refetch; calls coalesce until the timer fires. */
  request(): void
  dispose(): void
}

export function createRefresher(intervalMs: number, run: () => void): Refresher {
  let timer: ReturnType<typeof setTimeout> | null = null
  return {
    request() {
      if (timer !== null) return
      timer = setTimeout(() => {
        timer = null
        run()
      }, intervalMs)
    },
    dispose() {
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
  }
}

/** Counts how many components show a view, so push events refetch only what is on screen. */
export class Watchers<V extends string> {
  private counts = new Map<V, number>()

  add(view: V): () => void {
    this.counts.set(view, (this.counts.get(view) ?? 0) + 1)
    let done = false
    return () => {
      if (done) return
      done = true
      this.counts.set(view, (this.counts.get(view) ?? 1) - 1)
    }
  }

  has(view: V): boolean {
    return (this.counts.get(view) ?? 0) > 0
  }
}
