import { CONTROL_CHARS, effectiveRelayPort, effectiveTls, isMailbox, noControlMessage, type SettingsFields } from '../../../shared/settings.ts'
import { compose } from '../queue/compose.ts'
import type { DkimSignature } from '../queue/dkim-sign.ts'
import type { NewMessage } from '../queue/queue.ts'
import { InputError } from './api-errors.ts'

// What a message must be to be queued, and how it is composed from the settings.

export interface Submission {
  to: string[]
  subject: string
  text: string
  isTest?: boolean
}

/** Refuses, in the admin's words, a message without recipients, with an invalid address, or with a subject that is not one clean line. */
export function checkSubmission(item: Submission): void {
  if (item.to.length === 0) throw new InputError('A message needs at least one recipient.', { to: 'Enter at least one recipient.' })
  for (const to of item.to) {
    if (!isMailbox(to)) throw new InputError(`"${to.replace(/[\r\n]/g, '⏎')}" is not a valid email address.`, { to: 'Enter a valid email address, like admin@example.com.' })
  }
  if (/[\r\n]/.test(item.subject)) throw new InputError('The subject must be on one line (no line breaks).', { subject: 'The subject must be on one line (no line breaks).' })
  if (CONTROL_CHARS.test(item.subject)) throw new InputError(noControlMessage('The subject'), { subject: noControlMessage('The subject') })
}

/** The message as it will be queued: From Name, From Address and Hostname from the settings, signed with DKIM when it is on. */
export async function composeDraft(item: Submission, s: SettingsFields, now: number, dkim: DkimSignature | null = null): Promise<NewMessage> {
  const { raw, messageId } = await compose({ fromName: s.fromName, fromAddress: s.fromAddress, to: item.to, subject: item.subject, text: item.text, hostname: s.hostname, date: new Date(now), dkim })
  return { sender: s.fromAddress, subject: item.subject, messageId, raw, recipients: [...new Set(item.to)], isTest: item.isTest ?? false }
}

/** A test email to `to`: it says how it was sent, never the SASL account. */
export function testMessage(s: SettingsFields, to: string, subject: string | undefined, now: number): Submission {
  const route = s.relayHost ? `through the relay ${s.relayHost}:${effectiveRelayPort(s)}` : 'directly to the recipient’s mail servers'
  const text = [
    'This is a test message from SMTP Console.',
    '',
    `Sent by: ${s.hostname}`,
    `Route: ${route}`,
    `TLS: ${effectiveTls(s)}`,
    // Whoever receives a test message learns that SASL is on, never the account.
    `SASL: ${s.useSasl ? 'on' : 'off'}`,
    `Time: ${new Date(now).toISOString()}`,
    '',
    'If you received it, outgoing mail works.',
  ].join('\n')
  return { to: [to], subject: subject ?? `SMTP Console test message from ${s.hostname}`, text, isTest: true }
}
