import type { DeliveryWorker } from '../delivery/worker.ts'
import type { ClaimedMessage, NewMessage, Queue } from '../queue/queue.ts'

// Local submission's messages go straight to the worker when it has a free
// session: claimed in the transaction that queues them, handed over once the
// fsync that makes them durable has ended. A burst arriving message by
// message then costs one transaction per message on the way in, not two
// (the submit, then the worker's claim reading the body back).

export class SubmitHandoff {
  private readonly queue: Queue
  private readonly worker: DeliveryWorker
  /** Claimed at submit, waiting for their fsync: they hold a session of the worker's room. */
  private readonly waiting = new Map<string, ClaimedMessage>()

  constructor(queue: Queue, worker: DeliveryWorker) {
    this.queue = queue
    this.worker = worker
  }

  /** The group commit's submit: commits without the fsync, claiming what the worker can start now. */
  submit(messages: NewMessage[]): string[] {
    const room = Math.max(0, this.worker.room() - this.waiting.size)
    const { ids, claimed } = this.queue.submitAndClaim(messages, false, room)
    for (const m of claimed) this.waiting.set(m.queueId, m)
    return ids
  }

  /** Their fsync has ended: the worker takes those still active (an admin may have deleted one meanwhile). */
  synced(queueIds: string[]): void {
    const mine: ClaimedMessage[] = []
    for (const id of queueIds) {
      const m = this.waiting.get(id)
      if (!m) continue
      this.waiting.delete(id)
      mine.push(m)
    }
    if (mine.length) this.worker.adopt(this.queue.stillActive(mine))
  }
}
