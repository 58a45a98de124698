import type { QueueFilterAction, QueueProgress, QueueState } from '../../../shared/types.ts'
import type { PostfixTools } from '../tools.ts'
import { postqueueRetry, postsuper } from './actions.ts'
import { PostfixError } from './errors.ts'

// An action on what the Mail Queue's filter selects: the ids of a complete
// reading of the queue, fed to postsuper a chunk at a time (postsuper -d - /
// -h - / -H -), or postqueue -i each for Retry now, with queue.progress
// events as it goes. One runs at a time, as on the embedded queue.

const CHUNK = 10_000
/** postqueue -i runs once per message: a few at a time. */
const RETRY_PARALLEL = 4
const RETRY_PROGRESS_EVERY = 100

/** Which messages an action changes: Hold skips those on hold, Release takes only those. */
function concerned(action: QueueFilterAction, state: QueueState): boolean {
  if (action === 'hold') return state !== 'hold'
  if (action === 'release') return state === 'hold'
  return true
}

export class BulkActions {
  private running: string | null = null
  private readonly tools: PostfixTools
  private readonly progress: (p: QueueProgress) => void

  constructor(tools: PostfixTools, progress: (p: QueueProgress) => void) {
    this.tools = tools
    this.progress = progress
  }

  /** Runs `fn` as the one bulk action under way; a second one meanwhile is refused with conflict. */
  async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.running) throw new PostfixError('conflict', `${this.running} is still running on the Mail Queue; wait for it to finish, then try again.`)
    this.running = what
    try {
      return await fn()
    } finally {
      this.running = null
    }
  }

  /** Acts on the given messages (those the filter selected); how many postsuper changed, or were scheduled. */
  async act(action: QueueFilterAction, selected: { queueId: string; state: QueueState }[]): Promise<number> {
    const ids = selected.filter((m) => concerned(action, m.state)).map((m) => m.queueId)
    const total = ids.length
    let done = 0
    let changed = 0
    this.progress({ action, done, total, finished: false })
    if (action === 'retry') {
      let next = 0
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!
          await postqueueRetry(this.tools, id)
          changed++
          done++
          if (done % RETRY_PROGRESS_EVERY === 0) this.progress({ action, done, total, finished: false })
        }
      }
      await Promise.all(Array.from({ length: Math.min(RETRY_PARALLEL, ids.length) }, worker))
    } else {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK)
        changed += await postsuper(this.tools, action, chunk)
        done += chunk.length
        this.progress({ action, done, total, finished: false })
      }
    }
    this.progress({ action, done: total, total, finished: true })
    return changed
  }
}
