// Keeps credentials out of what the console shows and stores: transcripts,
// error messages, log rows. A token or secret is replaced, never shortened,
// so no part of it is left to read.

export const REDACTED = '<redacted>'

/** A transcript line with the SASL token replaced: `C: AUTH XOAUTH2 <redacted>`. */
export function redactAuthLine(line: string): string {
  return line.replace(/^(C: AUTH (?:XOAUTH2|OAUTHBEARER))( .*)?$/i, (_m, head: string, rest: string | undefined) => (rest ? `${head} ${REDACTED}` : head))
}

// A JSON Web Token (header.payload.signature, each base64url): what access tokens and assertions look like.
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g
// `"access_token": "..."`, `client_secret=...`, `assertion=...` in a body echoed back by a server.
const NAMED = /((?:access_token|refresh_token|id_token|client_secret|client_assertion|assertion|password)["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi

/** Text with every given secret, every JWT and every named credential replaced by <redacted>. */
export function redactSecrets(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  for (const s of [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(REDACTED)
  }
  return out.replace(JWT, REDACTED).replace(NAMED, `$1${REDACTED}`)
}
