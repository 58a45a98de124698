import type { Page, QueueEntry, QueueFilter, QueueFilterAction, QueueMessageDetail, QueueProgress, QueueSummary } from '../../../shared/types.ts'
import { QUEUE_STATES } from '../../../shared/types.ts'
import type { PageQuery } from '../../core/logs/paging.ts'
import type { PostfixTools } from '../tools.ts'
import { postcat, postqueueFlush, postqueueRetry, postsuper } from './actions.ts'
import { BulkActions } from './bulk.ts'
import { queueDirectoryCounts, type QueueCounts } from './counts.ts'
import { PostfixError } from './errors.ts'
import { LineSplitter, parseQueueLine, type QueuedMessage } from './postqueue-json.ts'
import { QueueSnapshot } from './snapshot.ts'
import { streamPostqueue } from './stream.ts'
import { headersOf, headerValue } from './story.ts'

// The Mail Queue of one Postfix instance: the listing from its snapshot of
// `postqueue -j`, the counts from the queue directories, the actions through
// postsuper and postqueue, each followed by a new reading of the queue.

/** Messages handed to the snapshot at once: one transaction each. */
const BATCH = 500

export interface MailQueueOptions {
  dataDir: string
  tools: PostfixTools
  /** What changed, for the windows: queue.changed and queue.progress. */
  onChanged: (reason: string) => void
  onProgress: (p: QueueProgress) => void
  now?: () => number
}

/** Reads `postqueue -j` as it prints, a batch of messages at a time. */
export function postqueueReader(tools: PostfixTools) {
  return async (onMessages: (m: QueuedMessage[]) => void, signal: AbortSignal): Promise<void> => {
    const lines = new LineSplitter()
    let batch: QueuedMessage[] = []
    const take = (all: string[]) => {
      for (const line of all) {
        const m = parseQueueLine(line)
        if (m) batch.push(m)
        if (batch.length >= BATCH) {
          onMessages(batch)
          batch = []
        }
      }
    }
    const r = await streamPostqueue(tools, ['-j'], (chunk) => take(lines.push(chunk)), { signal })
    if (signal.aborted) return
    // "postqueue: fatal: Queue report unavailable - mail system is down": an error, never an empty queue.
    if (r.code !== 0) throw new PostfixError('conflict', `postqueue -j failed on ${tools.runner.where}: ${r.stderr.trim().split('\n').slice(-2).join(' ') || `exit code ${String(r.code)}`}`)
    take(lines.end())
    if (batch.length) onMessages(batch)
  }
}

export class MailQueue {
  readonly snapshot: QueueSnapshot
  private readonly tools: PostfixTools
  private readonly bulk: BulkActions
  private readonly onChanged: (reason: string) => void
  private readonly onProgress: (p: QueueProgress) => void
  private readonly now: () => number
  private queueDirectory: Promise<string> | null = null

  constructor(options: MailQueueOptions) {
    this.tools = options.tools
    this.now = options.now ?? Date.now
    this.onChanged = options.onChanged
    this.onProgress = options.onProgress
    this.snapshot = new QueueSnapshot(options.dataDir, postqueueReader(options.tools), this.now)
    this.bulk = new BulkActions(options.tools, options.onProgress)
  }

  /** After an action: a new reading starts now, and the windows are told to ask for it. */
  private changed(reason: string): void {
    this.snapshot.refresh()
    this.onChanged(reason)
  }

  /** The queue's counts by state from its directories, never from listing it. */
  async counts(): Promise<QueueCounts> {
    this.queueDirectory ??= this.tools.params(['queue_directory']).then((v) => v[0]!)
    try {
      return await queueDirectoryCounts(this.tools, await this.queueDirectory)
    } catch (err) {
      this.queueDirectory = null
      throw err
    }
  }

  list(query: PageQuery & QueueFilter): Promise<Page<QueueEntry>> {
    return this.snapshot.list(query)
  }

  async summary(): Promise<QueueSummary> {
    const counts = await this.counts()
    // The domains come from the last complete reading; the first summary starts one.
    if (!this.snapshot.newest) this.snapshot.refresh()
    return { total: counts.total, byState: Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s]])) as QueueSummary['byState'], byDomain: this.snapshot.topDomains() }
  }

  /** The message's row as the latest reading has it; a new complete reading when it is not there; not_found when it has gone. */
  async entry(queueId: string): Promise<QueueEntry> {
    const found = this.snapshot.find(queueId)
    if (found) return found
    await this.snapshot.complete()
    const again = this.snapshot.find(queueId)
    if (!again) throw new PostfixError('not_found', `Message ${queueId} is not in the queue (it may have been delivered or deleted).`)
    return again
  }

  async get(queueId: string): Promise<QueueMessageDetail & { headers: { name: string; value: string }[] }> {
    const entry = await this.entry(queueId)
    const { source } = await postcat(this.tools, queueId, '-h')
    const headers = headersOf(source)
    const at = this.now()
    const recipientsDetail = this.snapshot.recipientsOf(queueId).map((address) => ({ address, status: 'pending' as const, dsn: null, reply: entry.reason, updatedAt: at }))
    return { ...entry, subject: headerValue(headers, 'Subject') ?? '', messageId: headerValue(headers, 'Message-ID') ?? '', recipientsDetail, attemptsLog: [], headers }
  }

  source(queueId: string): Promise<{ queueId: string; source: string; truncated: boolean }> {
    return postcat(this.tools, queueId, '-bh').then((s) => ({ queueId, ...s }))
  }

  async delete(queueId: string): Promise<{ deleted: boolean }> {
    const n = await postsuper(this.tools, 'delete', [queueId])
    this.changed('deleted')
    if (n === 0) throw new PostfixError('not_found', `Message ${queueId} is not in the queue (it may have been delivered or deleted).`)
    return { deleted: true }
  }

  async hold(queueId: string): Promise<QueueEntry> {
    const entry = await this.entry(queueId)
    const n = await postsuper(this.tools, 'hold', [queueId])
    this.changed('held')
    if (n === 0 && entry.state !== 'hold') throw new PostfixError('not_found', `Message ${queueId} is not in the queue any more (it may have been delivered or deleted).`)
    return { ...entry, state: 'hold', nextAttemptAt: null }
  }

  async release(queueId: string): Promise<QueueEntry> {
    const entry = await this.entry(queueId)
    const n = await postsuper(this.tools, 'release', [queueId])
    this.changed('released')
    if (n === 0) {
      if (entry.state !== 'hold') throw new PostfixError('conflict', `Message ${queueId} is not on hold.`)
      throw new PostfixError('not_found', `Message ${queueId} is not in the queue any more (it may have been delivered or deleted).`)
    }
    // postsuper -H puts it back in the deferred queue, from where qmgr takes it.
    return { ...entry, state: 'deferred' }
  }

  async retry(queueId: string): Promise<QueueEntry> {
    const entry = await this.entry(queueId)
    if (entry.state === 'hold') throw new PostfixError('conflict', `Message ${queueId} is on hold: release it first.`)
    await postqueueRetry(this.tools, queueId)
    this.changed('retried')
    return entry
  }

  /** `postqueue -f`; the count is the deferred and waiting messages it made due. */
  flush(): Promise<{ count: number }> {
    return this.bulk.exclusive('Flush Queue', async () => {
      const before = await this.counts()
      const count = before.deferred + before.queued
      this.onProgress({ action: 'flush', done: 0, total: count, finished: false })
      await postqueueFlush(this.tools)
      this.onProgress({ action: 'flush', done: count, total: count, finished: true })
      this.changed('flushed')
      return { count }
    })
  }

  /** `postsuper -d ALL`; the count is postsuper's own. */
  deleteAll(): Promise<{ count: number }> {
    return this.bulk.exclusive('Delete Queue', async () => {
      const before = await this.counts()
      this.onProgress({ action: 'deleteAll', done: 0, total: before.total, finished: false })
      let count: number
      try {
        count = await postsuper(this.tools, 'delete', 'ALL')
      } finally {
        this.changed('deleted all')
      }
      this.onProgress({ action: 'deleteAll', done: count, total: Math.max(count, before.total), finished: true })
      return { count }
    })
  }

  async countMatching(filter: QueueFilter): Promise<number> {
    const fill = await this.snapshot.complete()
    return this.snapshot.countMatching(fill, filter)
  }

  actOnMatching(filter: QueueFilter, action: QueueFilterAction): Promise<{ action: QueueFilterAction; count: number }> {
    return this.bulk.exclusive('An action on the filter', async () => {
      // The queue as it is now, so the action touches what the filter selects now.
      const fill = await this.snapshot.complete()
      try {
        return { action, count: await this.bulk.act(action, this.snapshot.matching(fill, filter)) }
      } finally {
        this.changed(`filter ${action}`)
      }
    })
  }

  close(): void {
    this.snapshot.close()
  }
}
