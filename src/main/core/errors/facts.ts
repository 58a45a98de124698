// What an SMTP exchange says about itself, read the same way by the session
// (for what it logs) and by the decoder (for the cause it names).

/** Where in the SMTP exchange a failure happened. */
export type Phase = 'dns' | 'connect' | 'greeting' | 'tls' | 'ehlo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'unknown'

/**
 * The phase of an SMTP command nodemailer names in a failure, by its first word.
 * Its pseudo-command 'CONN' (any socket failure) is left to the caller: only the
 * session knows whether the message was under way.
 */
const PHASE_OF_COMMAND: [RegExp, Phase][] = [
  [/^(EHLO|HELO|LHLO)/i, 'ehlo'],
  [/^STARTTLS/i, 'tls'],
  [/^AUTH/i, 'auth'],
  [/^MAIL/i, 'mail'],
  [/^RCPT/i, 'rcpt'],
  [/^DATA/i, 'data'],
]

export function phaseOfCommand(command: string | undefined): Phase {
  if (!command) return 'unknown'
  return PHASE_OF_COMMAND.find(([re]) => re.test(command))?.[1] ?? 'unknown'
}

const ENHANCED = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})(?=[\s,;:]|$)/m

/** The RFC 3463 enhanced status code a reply carries (e.g. 2.0.0 in "250 2.0.0 Ok"), or null. */
export function enhancedCodeOf(reply: string | undefined): string | null {
  return reply ? (ENHANCED.exec(reply.trim())?.[1] ?? null) : null
}
