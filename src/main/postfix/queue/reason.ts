import type { Explanation } from '../../../shared/types.ts'
import { decodeFailure } from '../../core/errors/decoder.ts'
import type { RawFailure } from '../../core/errors/facts.ts'

// Postfix's delay reason in the console's words: the decoder reads failures
// as nodemailer reports them, so the reason's parts are given in that shape.
// "host H[A] said: 450 4.7.1 … (in reply to RCPT TO command)" carries a reply
// and a command; "connect to H[A]:P: Connection refused" a system error.

const SAID = /host (\S+?)\[[^\]]*\] said: ([245]\d\d)[ -](.*?)(?: \(in reply to (.+?) command\))?$/s

const SYSTEM_ERRORS: [RegExp, string][] = [
  [/Connection refused/i, 'ECONNREFUSED'],
  [/Connection timed out/i, 'ETIMEDOUT'],
  [/Network is unreachable/i, 'ENETUNREACH'],
  [/No route to host/i, 'EHOSTUNREACH'],
  [/Host or domain name not found|Name service error/i, 'ENOTFOUND'],
]

/** The explanation of a queued message's delay reason, or null when there is none. */
export function explainReason(reason: string | null): Explanation | null {
  if (!reason) return null
  const raw: RawFailure = { message: reason }
  const said = SAID.exec(reason)
  if (said) {
    raw.responseCode = Number(said[2])
    raw.response = `${said[2]} ${said[3]!.trim()}`
    if (said[4]) raw.command = said[4]
  } else {
    const code = SYSTEM_ERRORS.find(([re]) => re.test(reason))?.[1]
    if (code) {
      raw.code = 'ESOCKET'
      raw.originalCode = code
    }
  }
  try {
    const d = decodeFailure(raw, said ? { host: said[1]! } : {})
    return { cause: d.cause, summary: d.summary, fix: d.fix }
  } catch {
    // A reason the decoder cannot read is still shown as Postfix wrote it.
    return null
  }
}
