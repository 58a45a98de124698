import { decodeFailure } from '../../core/errors/decoder.ts'
import type { RawFailure } from '../../core/errors/facts.ts'

// The decoder's cause for a reason Postfix logged, so Today's Report groups a
// Postfix server's deferrals and bounces by the same causes, in the same
// words, as the embedded engine's.

/** "host mx[192.0.2.1] said: 550 5.1.1 … (in reply to RCPT TO command)" → the reply and the command. */
const SAID = /^host (\S+) said: (.*?)(?: \(in reply to (.+?) command\))?$/s
/** "SASL authentication failed; server relay[192.0.2.1] said: 535 5.7.8 …": smtp(8)'s words for a refused login. */
const SASL = /^SASL authentication failed; server (\S+) said: (.*)$/s
/** qmgr's note when a destination is marked dead: the reason that follows is the one that stopped it. */
const SUSPENDED = /^delivery temporarily suspended: /
/** "connect to mx[192.0.2.1]:25: Connection refused" */
const CONNECT = /^connect to (\S+?)(?::(\d+))?: (.*)$/

const SYSTEM_CODES: [RegExp, string][] = [
  [/connection refused/i, 'ECONNREFUSED'],
  [/timed out/i, 'ETIMEDOUT'],
  [/network is unreachable|no route to host/i, 'ENETUNREACH'],
  [/connection reset|lost connection/i, 'ECONNRESET'],
]

/** The cause id of a deferral or bounce reason, or null when the decoder has none better than "unknown". */
export function causeOf(logged: string, relay: string | null): string | null {
  // While a destination is dead every message says so; its cause is the reason the last attempt met.
  const reply = logged.replace(SUSPENDED, '')
  const raw: RawFailure = { message: reply }
  const said = SAID.exec(reply)
  const sasl = SASL.exec(reply)
  const connect = CONNECT.exec(reply)
  if (said) {
    raw.response = said[2]!
    raw.responseCode = Number(/^\d{3}/.exec(said[2]!)?.[0]) || undefined
    if (said[3]) raw.command = said[3]
  } else if (sasl) {
    raw.response = sasl[2]!
    raw.responseCode = Number(/^\d{3}/.exec(sasl[2]!)?.[0]) || undefined
    raw.command = 'AUTH'
  } else if (connect) {
    raw.code = 'ESOCKET'
    const sys = SYSTEM_CODES.find(([re]) => re.test(connect[3]!))
    if (sys) raw.originalCode = sys[1]
  } else if (/Host or domain name not found|Name service error/i.test(reply)) {
    raw.code = 'EDNS'
    raw.originalCode = /try again|temporary/i.test(reply) ? 'EAI_AGAIN' : 'ENOTFOUND'
  } else if (/lost connection/i.test(reply)) {
    raw.code = 'ESOCKET'
    raw.originalCode = 'ECONNRESET'
  }
  try {
    const host = relay ?? connect?.[1] ?? sasl?.[1]
    return decodeFailure(raw, { ...(host ? { host } : {}), ...(connect ? { phase: 'connect' as const } : {}) }).cause
  } catch {
    return null
  }
}
