import { randomBytes } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer'
import { signMessage, type DkimSignature } from './dkim-sign.ts'

// A message is composed to RFC 5322 once, at submit; the queue keeps the
// bytes, so every retry sends exactly what was accepted.

export interface Draft {
  fromName: string
  fromAddress: string
  to: string[]
  subject: string
  text: string
  hostname: string
  date: Date
  /** Signs the composed bytes with DKIM when given. */
  dkim?: DkimSignature | null
}

export interface Composed {
  raw: Buffer
  messageId: string
}

export function newMessageId(hostname: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@${hostname}>`
}

/**
 * Messages composed at the same time. A burst of API calls (5,000 test emails
 * at once) would otherwise hold every composition's tree and streams alive
 * together, and the heap they grow stays the process's high-water mark.
 */
const MAX_COMPOSING = 4
let composing = 0
const waiting: (() => void)[] = []

/** Compositions under way now (at most MAX_COMPOSING). */
export function compositionsInProgress(): number {
  return composing
}

export async function compose(draft: Draft): Promise<Composed> {
  if (composing < MAX_COMPOSING) composing++
  // A finishing composition hands its place straight to the next in line.
  else await new Promise<void>((resolve) => waiting.push(resolve))
  try {
    return await composeNow(draft)
  } finally {
    const next = waiting.shift()
    if (next) next()
    else composing--
  }
}

async function composeNow(draft: Draft): Promise<Composed> {
  const messageId = newMessageId(draft.hostname)
  const composer = new MailComposer({
    from: draft.fromName ? { name: draft.fromName, address: draft.fromAddress } : draft.fromAddress,
    to: draft.to,
    subject: draft.subject,
    text: draft.text,
    messageId,
    date: draft.date,
    headers: { 'X-Mailer': 'SMTP Console' },
    // RFC 5322 lines end in CRLF; stored that way, the logged size is the size on the wire.
    newline: 'windows',
  })
  const built = await composer.compile().build()
  const raw = draft.dkim ? await signMessage(built, draft.dkim) : built
  return { raw, messageId }
}
