// What local submission adds to a message it accepts: a Received: header
// (RFC 5321 §4.4) on top, and Message-ID and Date where the client gave
// none, as Postfix's cleanup does for local clients. Nothing else changes.

export interface ReceivedFrom {
  /** The name the client gave in EHLO/HELO. */
  helo: string
  address: string
  /** Whether the session was encrypted (STARTTLS) and logged in (AUTH): ESMTPS, ESMTPA, ESMTPSA (RFC 3848). */
  tls: boolean
  auth: boolean
  /** The only recipient, named as Postfix does; null with several. */
  recipient: string | null
}

/** An RFC 5322 date in UTC: "Mon, 01 Jun 2026 14:05:09 +0000". */
export function rfc5322Date(at: number): string {
  return new Date(at).toUTCString().replace(/GMT$/, '+0000')
}

export function receivedHeader(from: ReceivedFrom, hostname: string, at: number): string {
  const protocol = `ESMTP${from.tls ? 'S' : ''}${from.auth ? 'A' : ''}`
  const helo = from.helo.replace(/[^\x21-\x7e]/g, '') || 'unknown'
  const address = from.address.includes(':') ? `IPv6:${from.address}` : from.address
  const forPart = from.recipient ? `\r\n\tfor <${from.recipient}>` : ''
  return `Received: from ${helo} ([${address}])\r\n\tby ${hostname} (SMTP Console) with ${protocol}${forPart};\r\n\t${rfc5322Date(at)}\r\n`
}

/** The header block of a message (up to the first empty line), for reading a few fields. */
export function headerBlock(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n')
  const lfEnd = end < 0 ? raw.indexOf('\n\n') : -1
  const cut = end >= 0 ? end : lfEnd >= 0 ? lfEnd : Math.min(raw.length, 64 * 1024)
  return raw.subarray(0, Math.min(cut, 64 * 1024)).toString('latin1')
}

/** A header's unfolded value, or null when the message has none. */
export function headerValue(headers: string, name: string): string | null {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers)
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : null
}
