import type { MailLogEntry } from '../../../shared/types.ts'
import type { LoggedOutcome } from '../logs/postfix-logs.ts'
import { headersOf } from '../../core/engine/message-story.ts'
import { explainReason } from './reason.ts'

// A message's story and headers as the Mail Log's dialog shows them, from
// what the server's log says of it (its log index) and postcat's output.

/** The log's latest outcome for each recipient, oldest first, as Mail Log rows. */
export function storyOf(queueId: string, sender: string, outcomes: readonly LoggedOutcome[]): MailLogEntry[] {
  return [...outcomes]
    .sort((a, b) => a.at - b.at)
    .map((o, i) => ({
      id: i + 1,
      at: o.at,
      queueId,
      sender,
      recipient: o.recipient,
      status: o.status,
      relay: null,
      delayMs: null,
      dsn: null,
      reply: o.reply,
      size: null,
      tls: null,
      explanation: o.status === 'sent' ? null : explainReason(o.reply),
    }))
}

/** The header fields of a message, unfolded: the embedded engine's reading, for the same message dialog. */
export { headersOf }

export function headerValue(headers: readonly { name: string; value: string }[], name: string): string | null {
  return headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? null
}
