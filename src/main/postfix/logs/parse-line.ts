// One line of Postfix's log, read as pflogsumm reads it: a time stamp
// (syslog's "Nov 29 19:47:56", with or without a year, or RFC 3339 as
// rsyslog, journalctl -o short-iso and maillog_file_style write it), the
// host, the program (postfix/smtpd, postfix-out/smtp, postfix/submission/smtpd)
// and what it said; then what that says about a message.

export interface LogLine {
  at: number
  /** The last part of the syslog tag: smtpd, qmgr, smtp, postsuper… */
  program: string
  pid: number | null
  text: string
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 }
const TRADITIONAL = /^([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2}) (\S+) (.*)$/
const RFC3339 = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})? (\S+) (.*)$/
/** A Postfix tag: a syslog_name holding "postfix", then the program, and the pid. */
const TAG = /^([^\s/[:]*postfix[^\s/[:]*(?:\/[^\s/[:]+)*\/([^\s/[:]+))(?:\[(\d+)\])?: (.*)$/

/** A day in the future is a clock that moved on: a stamp without a year is the latest one not past that. */
const FUTURE_SLACK_MS = 86_400_000

/**
 * Reads one line; null for a line that is not Postfix's (other daemons share mail.log).
 * `now` gives the year of stamps that have none: the latest year that does not put the line more than a day ahead.
 */
export function parseLine(line: string, now: number): LogLine | null {
  let at: number
  let rest: string
  const t = TRADITIONAL.exec(line)
  if (t) {
    const month = MONTHS[t[1]!]
    if (month === undefined) return null
    const local = (year: number) => new Date(year, month, Number(t[2]), Number(t[4]), Number(t[5]), Number(t[6])).getTime()
    if (t[3]) at = local(Number(t[3]))
    else {
      const year = new Date(now).getFullYear()
      at = local(year)
      if (at > now + FUTURE_SLACK_MS) at = local(year - 1)
    }
    rest = t[8]!
  } else {
    const r = RFC3339.exec(line)
    if (!r) return null
    // journalctl's short-iso writes +0000; Date wants +00:00. Without a zone, the stamp is local time.
    const zone = r[2] ? (r[2] === 'Z' ? 'Z' : `${r[2].slice(0, 3)}:${r[2].slice(-2)}`) : ''
    at = new Date(`${r[1]!.replace(' ', 'T')}${zone}`).getTime()
    rest = r[4]!
  }
  if (!Number.isFinite(at)) return null
  const tag = TAG.exec(rest)
  if (!tag) return null
  return { at, program: tag[2]!, pid: tag[3] ? Number(tag[3]) : null, text: tag[4]! }
}

/** What one line says about a message, or about the server. */
export type PostfixRecord =
  /** smtpd accepted a message from an SMTP client. */
  | { kind: 'client'; queueId: string; client: string }
  /** pickup took a message handed to sendmail. */
  | { kind: 'pickup'; queueId: string; sender: string | null }
  | { kind: 'message-id'; queueId: string; messageId: string }
  /** qmgr has the message in its active queue: its sender and size (logged again after each deferral). */
  | { kind: 'queued'; queueId: string; sender: string; size: number; nrcpt: number }
  | { kind: 'delivery'; queueId: string; recipient: string; relay: string | null; delayMs: number | null; dsn: string | null; status: 'sent' | 'deferred' | 'bounced'; reply: string }
  /** qmgr returned the message to its sender: it was in the queue longer than maximal_queue_lifetime. */
  | { kind: 'expired'; queueId: string; sender: string }
  /** qmgr: the message is done; postsuper: the administrator deleted it. */
  | { kind: 'removed'; queueId: string; byAdmin: boolean }
  | { kind: 'held'; queueId: string; reply: string }
  | { kind: 'released'; queueId: string }
  /** bounce wrote the sender a non-delivery notification, itself a new message. */
  | { kind: 'notice'; queueId: string; noticeId: string }
  | { kind: 'event'; level: 'warning' | 'error'; severity: 'warning' | 'error' | 'fatal' | 'panic'; message: string }

/** Postfix's queue ids: short (hex, 6 or more) or long (enable_long_queue_ids: base 52, with a 'z' before the inode part). */
const QID = '([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]+)'
const WITH_QID = new RegExp(`^${QID}: (.*)$`)
const DELIVERY = /^to=<([^>]*)>, (?:orig_to=<[^>]*>, )?relay=([^,]+), (?:conn_use=[^,]+, )?delay=([^,]+), (?:delays=[^,]+, )?(?:dsn=([^,]+), )?status=(\S+)(?: (.*))?$/
const QUEUED = /^from=<([^>]*)>, size=(\d+), nrcpt=(\d+)/
const EXPIRED = /^from=<([^>]*)>, status=expired/
const SEVERITY = /^(warning|error|fatal|panic): (.*)$/

/** The address as pflogsumm counts it: the domain in lower case (the local part may be case-sensitive). */
export function normalAddress(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 0 ? address : address.slice(0, at) + address.slice(at).toLowerCase()
}

/** "(250 2.0.0 Ok)" → "250 2.0.0 Ok": the words inside the parentheses Postfix puts round its reason. */
function unwrap(reason: string | undefined): string {
  const r = (reason ?? '').trim()
  return r.startsWith('(') && r.endsWith(')') ? r.slice(1, -1) : r
}

type ByProgram = (queueId: string, said: string) => PostfixRecord | null | undefined

/** What each program says about a message; undefined: read it as a delivery line. */
const BY_PROGRAM: Record<string, ByProgram> = {
  smtpd: clientLine,
  postscreen: clientLine,
  pickup: (queueId, said) => {
    if (!/^(uid|sender)=/.test(said)) return null
    const from = /from=<([^>]*)>/.exec(said)
    return { kind: 'pickup', queueId, sender: from ? normalAddress(from[1]!) : null }
  },
  cleanup: (queueId, said) => {
    const id = /^message-id=<?([^>\s]*)>?/.exec(said)
    if (id) return { kind: 'message-id', queueId, messageId: id[1]! }
    const hold = /^hold: (.*)$/.exec(said)
    return hold ? { kind: 'held', queueId, reply: hold[1]! } : null
  },
  postsuper: (queueId, said) => {
    if (said === 'removed') return { kind: 'removed', queueId, byAdmin: true }
    if (said === 'placed on hold') return { kind: 'held', queueId, reply: 'Placed on hold by the administrator (postsuper -h).' }
    if (said === 'released from hold') return { kind: 'released', queueId }
    return null
  },
  bounce: (queueId, said) => {
    const notice = new RegExp(`^sender non-delivery notification: ${QID}`).exec(said)
    return notice ? { kind: 'notice', queueId, noticeId: notice[1]! } : null
  },
  qmgr: (queueId, said) => {
    if (said === 'removed') return { kind: 'removed', queueId, byAdmin: false }
    const queued = QUEUED.exec(said)
    if (queued) return { kind: 'queued', queueId, sender: normalAddress(queued[1]!), size: Number(queued[2]), nrcpt: Number(queued[3]) }
    const expired = EXPIRED.exec(said)
    if (expired) return { kind: 'expired', queueId, sender: normalAddress(expired[1]!) }
    return undefined
  },
}

function clientLine(queueId: string, said: string): PostfixRecord | null {
  const client = /^client=([^,]+)/.exec(said)
  return client ? { kind: 'client', queueId, client: client[1]! } : null
}

/** Any delivery agent's line: smtp, lmtp, local, virtual, pipe, error, retry, discard (qmgr too, for recipients it gives up on). */
function deliveryLine(queueId: string, said: string): PostfixRecord | null {
  const d = DELIVERY.exec(said)
  if (!d) return null
  const status = d[5]!
  // "forwarded as" is an alias expanded to a new message, not a delivery (pflogsumm counts it apart).
  if (status !== 'sent' && status !== 'deferred' && status !== 'bounced') return null
  const reply = unwrap(d[6])
  if (status === 'sent' && reply.includes('forwarded as ')) return null
  const delay = Number(d[3])
  return {
    kind: 'delivery',
    queueId,
    recipient: normalAddress(d[1]!),
    relay: d[2] === 'none' ? null : d[2]!,
    delayMs: Number.isFinite(delay) ? Math.round(delay * 1000) : null,
    dsn: d[4] ?? null,
    status,
    reply,
  }
}

export function classify(line: LogLine): PostfixRecord | null {
  const severity = SEVERITY.exec(line.text)
  if (severity) {
    const s = severity[1] as 'warning' | 'error' | 'fatal' | 'panic'
    return { kind: 'event', level: s === 'warning' ? 'warning' : 'error', severity: s, message: severity[2]! }
  }
  const q = WITH_QID.exec(line.text)
  if (!q) return null
  const own = BY_PROGRAM[line.program]?.(q[1]!, q[2]!)
  return own !== undefined ? own : deliveryLine(q[1]!, q[2]!)
}
