import type { QueueState } from '../../../shared/types.ts'

// `postqueue -j` prints one JSON object per queued message, one per line
// (showq's order: each queue directory in turn). This reads that stream as
// it arrives: a chunk may end in the middle of a line, which waits for the next.

/** One message as showq reports it, in the Mail Queue's words. */
export interface QueuedMessage {
  queueId: string
  state: QueueState
  /** The queue directory it is in (incoming, maildrop, active, deferred, hold). */
  queueName: string
  arrivalAt: number
  size: number
  sender: string
  recipients: { address: string; reason: string | null }[]
}

/** Postfix's queue directories to the console's states: mail not yet picked up is queued, as the embedded queue's new mail is. */
const STATE_OF_QUEUE: Record<string, QueueState> = {
  incoming: 'queued',
  maildrop: 'queued',
  active: 'active',
  deferred: 'deferred',
  hold: 'hold',
}

export function stateOfQueue(queueName: string): QueueState {
  return STATE_OF_QUEUE[queueName] ?? 'queued'
}

interface ShowqRecord {
  queue_name?: unknown
  queue_id?: unknown
  arrival_time?: unknown
  message_size?: unknown
  sender?: unknown
  recipients?: unknown
}

/** One line of `postqueue -j`, or null for a blank line; an Error naming the line when it is not showq's JSON. */
export function parseQueueLine(line: string): QueuedMessage | null {
  const text = line.trim()
  if (text === '') return null
  let r: ShowqRecord
  try {
    r = JSON.parse(text) as ShowqRecord
  } catch {
    throw new Error(`postqueue -j printed a line that is not JSON: ${text.slice(0, 200)}`)
  }
  if (typeof r.queue_id !== 'string' || typeof r.queue_name !== 'string') throw new Error(`postqueue -j printed an entry without a queue id or queue name: ${text.slice(0, 200)}`)
  const recipients = Array.isArray(r.recipients)
    ? (r.recipients as { address?: unknown; delay_reason?: unknown }[]).map((x) => ({
        address: typeof x.address === 'string' ? x.address : '',
        reason: typeof x.delay_reason === 'string' && x.delay_reason !== '' ? x.delay_reason : null,
      }))
    : []
  return {
    queueId: r.queue_id,
    state: stateOfQueue(r.queue_name),
    queueName: r.queue_name,
    // showq gives seconds since the epoch.
    arrivalAt: typeof r.arrival_time === 'number' ? r.arrival_time * 1000 : 0,
    size: typeof r.message_size === 'number' ? r.message_size : 0,
    // The null sender (bounces) is "" in the JSON, as <> in mailq.
    sender: typeof r.sender === 'string' ? r.sender : '',
    recipients,
  }
}

/** Splits a byte stream into whole lines; a multi-byte character cut by a chunk boundary is kept whole. */
export class LineSplitter {
  private rest = Buffer.alloc(0)

  /** The whole lines this chunk completes. */
  push(chunk: Buffer): string[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk
    const end = buf.lastIndexOf(0x0a)
    if (end === -1) {
      this.rest = Buffer.from(buf)
      return []
    }
    this.rest = Buffer.from(buf.subarray(end + 1))
    return buf.subarray(0, end).toString('utf8').split('\n')
  }

  /** What is left after the last newline (a last line without one). */
  end(): string[] {
    const last = this.rest.toString('utf8')
    this.rest = Buffer.alloc(0)
    return last.trim() === '' ? [] : [last]
  }
}
