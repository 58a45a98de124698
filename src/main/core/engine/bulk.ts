import type { DatabaseSync } from 'node:sqlite'
import type { QueueBulkAction, QueueFilter } from '../../../shared/types.ts'
import type { DeliveryWorker } from '../delivery/worker.ts'
import { QueueError, type ChunkAction, type Queue } from '../queue/queue.ts'
import type { QueueView } from '../queue/queue-view.ts'
import { walBetweenChunks, walForBulk } from '../storage/db.ts'
import type { Notifier } from './notifier.ts'
import type { Watch } from './watch.ts'

// Bulk actions on the queue (Delete Queue, Flush Queue, an action on the Mail
// Queue's filter) run in chunks of a few thousand messages, one transaction
// each, yielding to the event loop between them: a million messages never hold
// the database in one long lock, the API keeps answering, and progress events
// say how far it got. One runs at a time.

/** Messages per transaction: large enough that commits are few, small enough that the API waits ~0.1 s at most. */
export const BULK_CHUNK = 10_000

const LABELS: Record<QueueBulkAction, string> = {
  deleteAll: 'Delete Queue',
  flush: 'Flush Queue',
  delete: 'Delete on the filtered messages',
  hold: 'Hold on the filtered messages',
  release: 'Release on the filtered messages',
  retry: 'Retry now on the filtered messages',
}

/** Row ids looked at per step of the sweep of bodies Delete Queue left: a few milliseconds of work each. */
export const BODY_SWEEP_SPAN = 5_000

export interface BulkDeps {
  db: DatabaseSync
  /** The log indexer, held back while an action runs. */
  indexer: { hold(): () => void }
  queue: Queue
  queueView: QueueView
  worker: DeliveryWorker
  watch: Watch
  notifier: Notifier
}

export class BulkRunner {
  private readonly deps: BulkDeps
  private running: { action: QueueBulkAction; done: number; total: number } | null = null
  /** For tests: messages per chunk. */
  chunk = BULK_CHUNK
  /** Set when the engine closes: the action stops after the chunk in hand, each chunk being whole. */
  private stopping = false
  private current: Promise<unknown> | null = null
  private sweeping: Promise<void> | null = null

  constructor(deps: BulkDeps) {
    this.deps = deps
  }

  /** Runs `action` on what `filter` selects (Delete Queue and Flush Queue: every message); resolves with how many changed. */
  run(action: QueueBulkAction, filter: QueueFilter = {}): Promise<number> {
    const running = this.runChunks(action, filter)
    this.current = running.catch(() => undefined)
    return running
  }

  /** Stops the running action between two chunks and waits for it (the engine is closing). */
  async stop(): Promise<void> {
    this.stopping = true
    await this.current
    await this.sweeping
  }

  /**
   * Frees the bodies of messages Delete Queue removed, a step at a time, yielding to
   * deliveries and requests between steps. Stops for a bulk action (which starts it
   * again when it ends) and when the engine closes (the next start goes on from the mark).
   */
  sweepBodies(): void {
    if (this.sweeping || this.stopping) return
    const { queue } = this.deps
    this.sweeping = (async () => {
      try {
        while (!this.stopping && !this.running && queue.bodies.sweepSome(BODY_SWEEP_SPAN)) await new Promise((resolve) => setImmediate(resolve))
      } catch {
        // A disk that refuses the write now (full, read-only) keeps the mark: the sweep goes on at the next start or Delete Queue.
      } finally {
        this.sweeping = null
      }
    })()
  }

  private async runChunks(action: QueueBulkAction, filter: QueueFilter): Promise<number> {
    const { db, indexer, queue, queueView, worker, watch, notifier } = this.deps
    if (this.stopping) throw new QueueError('conflict', 'SMTP Console is stopping; nothing was changed.')
    if (this.running) {
      const r = this.running
      throw new QueueError(
        'conflict',
        `${LABELS[r.action]} is still running (${r.done.toLocaleString('en-US')} of ${r.total.toLocaleString('en-US')} messages done). Wait for it to finish, then try again.`,
      )
    }
    const whole = action === 'deleteAll' || action === 'flush'
    const chunkAction: ChunkAction = action === 'deleteAll' ? 'delete' : action
    const total = action === 'deleteAll' ? queueView.count() : action === 'flush' ? queueView.count('queued') + queueView.count('deferred') : queueView.countMatching(filter)
    // Messages submitted while it runs are not part of it, as with postsuper -d ALL.
    const upTo = queueView.lastRowId()
    const state = { action, done: 0, total }
    this.running = state
    const deleting = chunkAction === 'delete'
    if (deleting) worker.suspend(true)
    // Delete Queue stops every delivery at once, as it always did; a filtered delete only those it reaches.
    if (action === 'deleteAll') worker.abortAll()
    let changed = 0
    walForBulk(db, true)
    // The chunks are what the admin waits for: the rows they log are indexed once the action ends.
    const releaseIndexer = indexer.hold()
    try {
      notifier.emit('queue.progress', { action, done: 0, total, finished: false })
      let after = 0
      while (!this.stopping) {
        const r = queue.applyChunk(chunkAction, whole ? {} : filter, { after, upTo, limit: this.chunk, whole }, deleting ? worker.inFlightIds() : new Set())
        if (r.last === null) break
        after = r.last
        changed += r.changed
        for (const queueId of r.activeDeleted) {
          worker.abort(queueId)
          watch.forget(queueId)
        }
        // Progress counts the messages changed; Flush and Hold skip some they look at.
        state.done = Math.min(total, changed)
        notifier.emit('queue.progress', { action, done: state.done, total, finished: false })
        notifier.soon('queue.changed')
        if (deleting || action === 'hold' || action === 'release' || action === 'retry') notifier.soon('mailLog.appended', r.changed)
        if (!deleting) worker.wake()
        await new Promise((resolve) => setImmediate(resolve))
        await walBetweenChunks(db)
      }
    } finally {
      releaseIndexer()
      walForBulk(db, false)
      this.running = null
      if (action === 'deleteAll') watch.clear()
      if (deleting) worker.suspend(false)
      notifier.emit('queue.progress', { action, done: changed, total, finished: true })
      notifier.soon('queue.changed')
      if (queue.bodies.pending) this.sweepBodies()
    }
    return changed
  }
}
