import type { RecipientOutcome } from '../queue/outcome.ts'
import type { SessionHooks } from './session.ts'

// How the delivery worker reaches the world: a relay, or the recipients' MX hosts.

export interface DeliveryJob {
  queueId: string
  from: string
  recipients: string[]
  raw: Buffer
  signal: AbortSignal
  /** Progress and transcript, for messages the admin is watching (test sends). */
  hooks?: SessionHooks
}

export interface Transport {
  deliver(job: DeliveryJob): Promise<RecipientOutcome[]>
  /** Closes idle connections; deliveries in flight finish or fail on their own. */
  close(): void
}
