import { describe, expect, it } from 'vitest'
import { TokenError, type AccessToken } from '../../../src/main/core/oauth/grants.ts'
import { REDACTED, redactAuthLine, redactSecrets } from '../../../src/main/core/oauth/redaction.ts'
import { TokenCache } from '../../../src/main/core/oauth/token-cache.ts'

// The token cache on a clock of its own: reuse, renewal ahead of expiry,
// renewal on demand, one request for many callers.

function grantOn(clock: { now: number }, lifetimeSec = 3600, fail?: () => boolean) {
  let n = 0
  const grant = async (): Promise<AccessToken> => {
    await new Promise((r) => setImmediate(r))
    if (fail?.()) throw new TokenError('unreachable', 'login.example.test', 'The token endpoint login.example.test could not be reached (ENETUNREACH).')
    n++
    return { value: `token-${n}`, issuedAt: clock.now, expiresAt: clock.now + lifetimeSec * 1000 }
  }
  return grant
}

describe('TokenCache', () => {
  it('reuses a token while it has time left and renews it five minutes before it expires', async () => {
    const clock = { now: 1_000_000 }
    const cache = new TokenCache(grantOn(clock), () => clock.now)
    expect(await cache.get()).toBe('token-1')
    clock.now += 3600_000 - 5 * 60_000 - 1
    expect(await cache.get()).toBe('token-1')
    clock.now += 1
    expect(await cache.get()).toBe('token-2')
    expect(cache.requests).toBe(2)
  })

  it('renews a short-lived token at half its life', async () => {
    const clock = { now: 0 }
    const cache = new TokenCache(grantOn(clock, 120), () => clock.now)
    expect(await cache.get()).toBe('token-1')
    clock.now = 59_000
    expect(await cache.get()).toBe('token-1')
    clock.now = 60_000
    expect(await cache.get()).toBe('token-2')
  })

  it('renews on demand, once for many sessions refused together', async () => {
    const clock = { now: 0 }
    const cache = new TokenCache(grantOn(clock), () => clock.now)
    await cache.get()
    const renewed = await Promise.all([cache.get(true), cache.get(true), cache.get(true)])
    expect(renewed).toEqual(['token-2', 'token-2', 'token-2'])
    expect(cache.requests).toBe(2)
  })

  it('keeps signing in with an unexpired token when renewing ahead fails, and fails once it has expired', async () => {
    const clock = { now: 0 }
    let down = false
    const cache = new TokenCache(grantOn(clock, 3600, () => down), () => clock.now)
    await cache.get()
    down = true
    clock.now = 3590_000
    expect(await cache.get()).toBe('token-1')
    await expect(cache.get(true)).rejects.toThrow(/could not be reached/)
    clock.now = 3600_000
    await expect(cache.get()).rejects.toBeInstanceOf(TokenError)
  })
})

describe('redaction', () => {
  it('shows AUTH XOAUTH2 without its token, and leaves other lines alone', () => {
    expect(redactAuthLine('C: AUTH XOAUTH2 dXNlcj1hQGIBYXV0aD1CZWFyZXIgeHl6AQE=')).toBe(`C: AUTH XOAUTH2 ${REDACTED}`)
    expect(redactAuthLine('S: 235 2.7.0 Authentication successful')).toBe('S: 235 2.7.0 Authentication successful')
  })

  it('removes given secrets, JWTs and named credentials from text a server sent back', () => {
    const text = 'bad request client_secret=s3cr3t-v4lue&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln and {"access_token":"abc.def"} s3cr3t-v4lue'
    const out = redactSecrets(text, ['s3cr3t-v4lue'])
    expect(out).not.toMatch(/s3cr3t|eyJ|abc\.def/)
    expect(out).toContain(`client_secret=${REDACTED}`)
  })
})
