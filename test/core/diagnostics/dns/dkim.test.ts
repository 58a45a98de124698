import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import { dkimCheck } from '../../../../src/main/core/diagnostics/dns/dkim.ts'
import type { DkimKey } from '../../../../src/main/core/diagnostics/dns/input.ts'
import { zoneServer } from './resolver.ts'

// dns.dkim: the selector record against the signing key. The published
// records are written here from the key as RFC 6376 (rsa: SubjectPublicKeyInfo)
// and RFC 8463 (ed25519: the raw 32 bytes) define them, not by the code tested.

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ed = generateKeyPairSync('ed25519')
const spki = (k: typeof rsa.publicKey) => k.export({ type: 'spki', format: 'der' })
const pem = (k: typeof rsa.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString()

let resolver: Resolver
beforeAll(async () => {
  ;({ resolver } = await zoneServer({
    // Longer than 255 bytes: the server splits it into strings, as a real zone does.
    's1._domainkey.example.test': { TXT: [`v=DKIM1; k=rsa; p=${spki(rsa.publicKey).toString('base64')}`] },
    'old._domainkey.example.test': { TXT: [`v=DKIM1; k=rsa; p=${spki(otherRsa.publicKey).toString('base64')}`] },
    'revoked._domainkey.example.test': { TXT: ['v=DKIM1; k=rsa; p='] },
    'ed._domainkey.example.test': { TXT: [`v=DKIM1; k=ed25519; p=${spki(ed.publicKey).subarray(-32).toString('base64')}`] },
  }))
})

const key = (selector: string, publicKey = rsa.publicKey): DkimKey => ({ domain: 'example.test', selector, publicKeyPem: pem(publicKey), fields: { selector: 'dkimSelector' } })
const check = (dkim?: DkimKey) => dkimCheck({ resolver, hostname: 'mail.example.test', fromAddress: 'alerts@example.test', outgoingAddress: null, dkim })

describe('dns.dkim', () => {
  it('passes a published RSA key and a published Ed25519 key that match', async () => {
    expect(await check(key('s1'))).toMatchObject({ id: 'dns.dkim', verdict: 'pass', summary: 's1._domainkey.example.test publishes the public key this system signs with (rsa).' })
    expect((await check(key('ed', ed.publicKey))).verdict).toBe('pass')
  })

  it('fails another key under the selector, with the record to publish', async () => {
    const c = await check(key('old'))
    expect(c).toMatchObject({ verdict: 'fail', field: 'dkimSelector' })
    expect(c.summary).toBe('The DKIM record at old._domainkey.example.test does not match the signing key: p= is a different key from the one in the settings, so receivers fail the signatures.')
    expect(c.fix).toBe(`Publish this TXT record at old._domainkey.example.test: "v=DKIM1; k=rsa; p=${spki(rsa.publicKey).toString('base64')}"`)
  })

  it('fails a revoked key, a key of the other type and a missing record', async () => {
    expect((await check(key('revoked'))).summary).toContain('p= is empty: the key is revoked')
    expect((await check(key('s1', ed.publicKey))).summary).toContain('the record is for k=rsa, the key in the settings is ed25519')
    const missing = await check(key('none'))
    expect(missing.summary).toBe("No DKIM key is published at none._domainkey.example.test, so receivers cannot verify the signatures of this system's messages.")
    expect(missing.fix).toBe(`Publish this TXT record at none._domainkey.example.test: "v=DKIM1; k=rsa; p=${spki(rsa.publicKey).toString('base64')}"`)
  })

  it('skips when DKIM signing is off', async () => {
    expect(await check(undefined)).toMatchObject({ verdict: 'skip', summary: 'DKIM signing is off, so there is no key record to check.' })
  })
})
