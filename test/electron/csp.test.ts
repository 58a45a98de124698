import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, withContentSecurityPolicy } from '../../src/main/electron/csp.ts'

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((part) => {
    const [name, ...sources] = part.trim().split(/\s+/)
    return [name!, sources]
  }))
}

describe('contentSecurityPolicy', () => {
  it('is the strict policy in the installed app', () => {
    const policy = directives(contentSecurityPolicy({ devServer: false }))
    expect(Object.fromEntries(policy)).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'frame-ancestors': ["'none'"],
    })
  })

  it('allows inline scripts only with the dev server, and nothing remote in either case', () => {
    const dev = directives(contentSecurityPolicy({ devServer: true }))
    expect(dev.get('script-src')).toEqual(["'self'", "'unsafe-inline'"])
    for (const policy of [contentSecurityPolicy({ devServer: true }), contentSecurityPolicy({ devServer: false })]) {
      expect(policy).not.toMatch(/https?:|\*|unsafe-eval/)
    }
  })
})

describe('withContentSecurityPolicy', () => {
  it('replaces a policy the response carried, whatever its case, and keeps other headers', () => {
    const headers = withContentSecurityPolicy(
      { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] },
      "default-src 'self'",
    )
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'self'"] })
  })

  it('adds the policy when the response had no headers', () => {
    expect(withContentSecurityPolicy(undefined, "default-src 'self'")).toEqual({ 'Content-Security-Policy': ["default-src 'self'"] })
  })
})
