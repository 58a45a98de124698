import type { CauseId, Disposition } from '../errors/catalogue.ts'

// What one delivery attempt did for one recipient, named as the admin sees it
// (sent, deferred, bounced), with the one marker of an attempt we stopped ourselves.

export type OutcomeKind = 'sent' | 'deferred' | 'bounced'

export interface RecipientOutcome {
  recipient: string
  kind: OutcomeKind
  relay: string | null
  reply: string | null
  dsn: string | null
  tls: string | null
  /** Decoder cause id, for failures. */
  cause: CauseId | null
}

/** An outcome before it is given to each recipient it applies to. */
export type Outcome = Omit<RecipientOutcome, 'recipient'>

/** The cause that marks an attempt stopped by the console (deleted, held, stopping), not refused by a server. */
const ABORTED = 'aborted' satisfies CauseId

/** The reply of an attempt stopped before the server had the whole message. */
export const ABORTED_REPLY = 'delivery aborted'

export function isAborted(o: Pick<RecipientOutcome, 'cause'>): boolean {
  return o.cause === ABORTED
}

/** An attempt stopped by the console: the message waits, and the attempt is not counted. */
export function aborted(relay: string | null = null, tls: string | null = null, reply: string = ABORTED_REPLY): Outcome {
  return { kind: 'deferred', relay, reply, dsn: '4.3.0', tls, cause: ABORTED }
}

/** A fault of the console itself, not of the server: the message is kept and retried. */
export function internalFailure(err: Error): Outcome {
  return { kind: 'deferred', relay: null, reply: `internal error: ${err.message}`, dsn: '4.3.0', tls: null, cause: 'internal' }
}

/** A stored secret the console cannot read now (a locked keychain): no login was tried; the reply says why. */
export function unreadableSecret(err: Error): Outcome {
  return { kind: 'deferred', relay: null, reply: err.message, dsn: '4.7.0', tls: null, cause: 'secret-unreadable' }
}

/** The outcome kind for what the decoder decided: the message waits, or returns to the sender. */
export function kindOf(disposition: Disposition): 'deferred' | 'bounced' {
  return disposition === 'bounce' ? 'bounced' : 'deferred'
}

/** One outcome for each recipient. */
export function forEach(recipients: readonly string[], outcome: Outcome): RecipientOutcome[] {
  return recipients.map((recipient) => ({ recipient, ...outcome }))
}
