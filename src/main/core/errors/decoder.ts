// Names the likely cause of a failed delivery and what the admin can do
// about it, and decides, Postfix-like, whether the message waits or bounces:
// the facts of a failure (facts.ts), the first rule that matches (rules.ts),
// the catalogue's words for the cause (catalogue.ts).

import type { Explanation } from '../../../shared/types.ts'
import { CATALOGUE, isCauseId, type CauseEntry, type CauseId, type Disposition, type Particulars } from './catalogue.ts'
import { readFacts, toRawFailure, type Facts, type FailureContext, type RawFailure } from './facts.ts'
import { classify } from './rules.ts'

export type { CauseId, Disposition } from './catalogue.ts'

export interface Decoded extends Explanation {
  cause: CauseId
  disposition: Disposition
  dsn: string | null
}

function dispositionOf(entry: CauseEntry, f: Facts): Disposition {
  if (entry.disposition !== 'reply') return entry.disposition
  // A reply-driven cause without a reply (matched on words alone) waits rather than loses mail.
  return f.reply !== null && f.reply >= 500 ? 'bounce' : 'defer'
}

/** The server's enhanced code, else (like Postfix) the reply class with .0.0, else the cause's own; always of the disposition's class. */
function failureDsn(entry: CauseEntry, f: Facts, disposition: Disposition): string {
  let dsn: string
  if (f.enhanced) dsn = f.enhanced
  else if (entry.disposition === 'reply' && f.reply !== null) dsn = `${Math.floor(f.reply / 100)}.0.0`
  else dsn = entry.dsn
  const klass = disposition === 'bounce' ? '5' : '4'
  return klass + dsn.slice(1)
}

function firstLine(s: string | undefined): string | undefined {
  const line = s?.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '')
  if (!line) return undefined
  return line.length > 300 ? `${line.slice(0, 297)}...` : line
}

/** Words from the error itself that make the explanation concrete. */
function detailOf(cause: CauseId, raw: RawFailure): string | undefined {
  if (cause === 'cert-name-mismatch') {
    const names = /altnames:\s*(.+)$/i.exec(raw.reason ?? raw.message)?.[1]?.trim()
    if (names) return `it names ${names.replace(/\b(DNS|IP Address):/g, '').replace(/\s*,\s*/g, ', ')}`
    return undefined
  }
  if (cause === 'message-too-big') {
    const limit = /(?:larger than allowed|maximum message size|size limit[^\d]*)\s*(\d+)/i.exec(`${raw.response ?? ''} ${raw.message}`)?.[1]
    return limit ? `limit ${limit} bytes` : undefined
  }
  if (cause === 'tls-handshake-failed' || cause === 'cert-invalid') {
    if (raw.timeoutType === 'UPGRADE_TIMEOUT' || /tls handshake timed out/i.test(raw.message)) return 'it did not finish in time'
    const reason = raw.reason ?? /:([a-z][a-z0-9 ]+):\.\.\//i.exec(raw.message)?.[1] ?? raw.originalCode
    return reason && !/^E[A-Z]+$/.test(reason) ? reason : firstLine(raw.message)
  }
  return undefined
}

function particulars(cause: CauseId, f: Facts): Particulars {
  const p: Particulars = {}
  const { ctx, raw } = f
  if (ctx.host !== undefined) p.host = ctx.host
  if (ctx.port !== undefined) p.port = ctx.port
  if (ctx.tls !== undefined) p.tls = ctx.tls
  if (ctx.direct !== undefined) p.direct = ctx.direct
  if (ctx.saslConfigured !== undefined) p.saslConfigured = ctx.saslConfigured
  if (f.phase !== 'unknown') p.phase = f.phase
  const reply = firstLine(raw.response)
  if (reply) p.reply = reply
  else {
    const message = firstLine(raw.message)
    if (message) p.message = message
  }
  const detail = detailOf(cause, raw)
  if (detail) p.detail = detail
  return p
}

/** Explains one failed delivery attempt and says whether the message waits (defer) or returns to the sender (bounce). */
export function decodeFailure(raw: RawFailure | Error, ctx: FailureContext = {}): Decoded {
  const facts = readFacts(toRawFailure(raw), ctx)
  const cause = classify(facts)
  const entry: CauseEntry = CATALOGUE[cause]
  const p = particulars(cause, facts)
  const disposition = dispositionOf(entry, facts)
  return { cause, summary: entry.summary(p), fix: entry.fix(p), disposition, dsn: failureDsn(entry, facts, disposition) }
}

/** The catalogue's general wording for a stored cause id, e.g. when reading old log rows. */
export function explainCause(cause: string): Explanation | null {
  if (!isCauseId(cause)) return null
  const entry: CauseEntry = CATALOGUE[cause]
  return { cause, summary: entry.summary({}), fix: entry.fix({}) }
}

/** The causes whose decoded sentence (summary or fix, any case) holds `text`: a search by the words the admin reads. */
export function causesSaying(text: string): CauseId[] {
  const t = text.trim().toLowerCase()
  if (t.length < 3) return []
  return (Object.keys(CATALOGUE) as CauseId[]).filter((c) => {
    const e: CauseEntry = CATALOGUE[c]
    return e.summary({}).toLowerCase().includes(t) || e.fix({}).toLowerCase().includes(t)
  })
}

/** Every cause id the decoder can give. */
export const CAUSES = Object.keys(CATALOGUE) as readonly CauseId[]
