import { generateKeyPairSync } from 'node:crypto'
import { Resolver } from 'node:dns/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { CHECK_IDS, type Check } from '../../../../src/shared/diagnostics.ts'
import { dnsChecks, DNS_CHECKS } from '../../../../src/main/core/diagnostics/dns/run.ts'
import type { DnsCheckInput } from '../../../../src/main/core/diagnostics/dns/input.ts'
import { startSilentDns } from '../../../helpers/dns.ts'
import { zoneServer } from './resolver.ts'

// All DNS checks together: a well-kept domain passes every one, and a DNS
// server that never answers still ends every check in a verdict.

const ed = generateKeyPairSync('ed25519')
const edPem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()
const edRaw = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')

function inputFor(resolver: Resolver): DnsCheckInput {
  return {
    resolver,
    hostname: 'mail.example.test',
    fromAddress: 'alerts@example.test',
    outgoingAddress: '192.0.2.10',
    dkim: { domain: 'example.test', selector: 's1', publicKeyPem: edPem },
    blocklists: [{ zone: 'bl.test', name: 'Test list' }],
  }
}

/** Fails the test, rather than hanging it, if the run does not end. */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms)))
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

describe('dnsChecks', () => {
  it('covers the dns.* ids of the contract, each once', () => {
    expect(DNS_CHECKS.map((c) => c.id)).toEqual(CHECK_IDS.filter((id) => id.startsWith('dns.')))
  })

  it('passes every check for a well-kept domain, reporting each as it finishes', async () => {
    const { resolver } = await zoneServer({
      'mail.example.test': { A: ['192.0.2.10'] },
      '10.2.0.192.in-addr.arpa': { PTR: ['mail.example.test'] },
      'example.test': { MX: [{ exchange: 'mail.example.test', priority: 10 }], TXT: ['v=spf1 mx -all'] },
      '_dmarc.example.test': { TXT: ['v=DMARC1; p=reject'] },
      's1._domainkey.example.test': { TXT: [`v=DKIM1; k=ed25519; p=${edRaw}`] },
    })
    const seen: Check[] = []
    const checks = await dnsChecks(inputFor(resolver), { onCheck: (c) => seen.push(c) })
    expect(checks.map((c) => [c.id, c.verdict])).toEqual(DNS_CHECKS.map((c) => [c.id, 'pass']))
    expect(seen.map((c) => c.id).sort()).toEqual(checks.map((c) => c.id).sort())
    for (const c of checks) expect(c.ms).toBeGreaterThanOrEqual(0)
  })

  describe('a DNS server that never answers', () => {
    const silent = startSilentDns()
    afterAll(async () => (await silent).close())

    it('ends every check in a warn that says so, within the time limit', async () => {
      const resolver = new Resolver()
      resolver.setServers([(await silent).server])
      const checks = await bounded(dnsChecks(inputFor(resolver), { timeoutMs: 400 }), 20_000)
      expect(checks.map((c) => c.id)).toEqual(DNS_CHECKS.map((c) => c.id))
      for (const c of checks) {
        expect(c.verdict, c.id).toBe('warn')
        expect(c.summary, c.id).toMatch(/gave no complete answer within 0\.4 s|did not answer in time/)
        expect(c.fix, c.id).toBeTruthy()
      }
    })
  })
})
