import type { MailLogEntry } from '../../../shared/types.ts'
import type { LoggedOutcome } from '../logs/postfix-logs.ts'
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

/** The header fields of a message, unfolded, up to its first blank line. */
export function headersOf(source: string): { name: string; value: string }[] {
  const end = source.search(/\r?\n\r?\n/)
  const head = end === -1 ? source : source.slice(0, end)
  const out: { name: string; value: string }[] = []
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1]!.value += ` ${line.trim()}`
    else {
      const colon = line.indexOf(':')
      if (colon > 0) out.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() })
    }
  }
  return out
}

export function headerValue(headers: readonly { name: string; value: string }[], name: string): string | null {
  return headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? null
}
