import type { AccessToken, Grant } from './grants.ts'

// One access token per relay configuration, in memory only: reused while it
// has time left, renewed ahead of its expiry so no session starts with a
// token about to lapse, and renewed on demand when the server refused it.
// Concurrent sessions share one request to the token endpoint.

/** Renewed when less than this is left: MSAL's margin, or half the lifetime of a short-lived token. */
export const RENEW_AHEAD_MS = 5 * 60_000

export class TokenCache {
  private readonly grant: Grant
  private readonly now: () => number
  private token: AccessToken | null = null
  private pending: Promise<AccessToken> | null = null
  /** Requests made to the token endpoint, for the transcript and tests. */
  requests = 0

  constructor(grant: Grant, now: () => number = Date.now) {
    this.grant = grant
    this.now = now
  }

  /** Whether the token should be replaced before it is used. */
  private stale(t: AccessToken): boolean {
    const margin = Math.min(RENEW_AHEAD_MS, (t.expiresAt - t.issuedAt) / 2)
    return t.expiresAt - this.now() <= margin
  }

  /** A token to sign in with; `renew` asks for a new one (the server refused the last). Throws TokenError. */
  async get(renew = false, signal?: AbortSignal): Promise<string> {
    const held = this.token
    if (!renew && held && !this.stale(held)) return held.value
    // A renewal already under way is joined, not repeated: many sessions refused at once make one request.
    this.pending ??= (async () => {
      this.requests++
      try {
        this.token = await this.grant(signal)
        return this.token
      } finally {
        this.pending = null
      }
    })()
    try {
      return (await this.pending).value
    } catch (err) {
      // Renewing ahead failed (offline, say): a token that has not expired still signs in.
      if (!renew && held && held === this.token && held.expiresAt > this.now()) return held.value
      throw err
    }
  }

  /** Forgets the token, e.g. when the settings changed. */
  clear(): void {
    this.token = null
  }
}
