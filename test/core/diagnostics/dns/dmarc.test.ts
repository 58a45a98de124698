import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import { dmarcCheck } from '../../../../src/main/core/diagnostics/dns/dmarc.ts'
import type { DkimKey } from '../../../../src/main/core/diagnostics/dns/input.ts'
import { organizationalDomain } from '../../../../src/main/core/diagnostics/dns/org-domain.ts'
import { zoneServer } from './resolver.ts'

// DMARC discovery and alignment against a real DNS server.

let resolver: Resolver
beforeAll(async () => {
  ;({ resolver } = await zoneServer({
    '_dmarc.strict.test': { TXT: ['v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@strict.test'] },
    '_dmarc.relaxed.test': { TXT: ['v=DMARC1; p=quarantine; sp=none; pct=50'] },
    '_dmarc.monitor.test': { TXT: ['v=DMARC1; p=none; rua=mailto:dmarc@monitor.test'] },
    '_dmarc.twice.test': { TXT: ['v=DMARC1; p=none', 'v=DMARC1; p=reject'] },
    '_dmarc.nopolicy.test': { TXT: ['v=DMARC1; rua=mailto:dmarc@nopolicy.test'] },
    'nodmarc.test': { A: ['198.51.100.1'] },
  }))
})

const dkim = (domain: string): DkimKey => ({ domain, selector: 's1', publicKeyPem: '', fields: { domain: 'dkimDomain', selector: 'dkimSelector' } })
const check = (fromAddress: string, signing?: DkimKey) => dmarcCheck({ resolver, hostname: 'mail.example.test', fromAddress, outgoingAddress: '192.0.2.10', dkim: signing })

describe('dns.dmarc', () => {
  it('passes a record with its policy, and DKIM aligned under strict alignment', async () => {
    const c = await check('alerts@strict.test', dkim('strict.test'))
    expect(c).toMatchObject({ id: 'dns.dmarc', verdict: 'pass' })
    expect(c.summary).toBe('The DMARC record of strict.test is found with p=reject (receivers refuse mail that fails DMARC), and mail from this system aligns with strict.test.')
    expect(c.detail).toContain('DKIM alignment (strict): messages are signed for strict.test, aligned with strict.test.')
  })

  it('warns when DKIM signs for another domain than strict alignment asks', async () => {
    const c = await check('alerts@strict.test', dkim('mail.strict.test'))
    expect(c).toMatchObject({ verdict: 'warn', field: 'dkimDomain', fix: 'Set the DKIM domain to strict.test and publish its key there.' })
    expect(c.summary).toContain('asks for strict DKIM alignment, but messages are signed for mail.strict.test')
  })

  it('falls back to the organizational domain, applies sp= there, and aligns relaxed', async () => {
    const c = await check('alerts@news.relaxed.test', dkim('mail.relaxed.test'))
    expect(c.verdict).toBe('pass')
    expect(c.summary).toContain('The DMARC record of its organizational domain relaxed.test is found with p=none')
    expect(c.detail).toContain('Policy for news.relaxed.test: none (sp=), applied to 50% of failing mail.')
    expect(c.detail).toContain('DKIM alignment (relaxed): messages are signed for mail.relaxed.test, aligned with news.relaxed.test.')
    // Relaxed alignment still needs the same organization.
    expect((await check('alerts@news.relaxed.test', dkim('other.test'))).verdict).toBe('warn')
  })

  it('passes p=none, saying receivers only report', async () => {
    const c = await check('alerts@monitor.test')
    expect(c.verdict).toBe('pass')
    expect(c.summary).toContain('p=none (receivers only report failures)')
    expect(c.detail).toContain('DKIM: signing is off, so DMARC passes only through SPF.')
  })

  it('warns when there is no record, with one ready to copy', async () => {
    const c = await check('alerts@nodmarc.test')
    expect(c).toMatchObject({ verdict: 'warn', field: 'fromAddress', fix: 'Publish this TXT record at _dmarc.nodmarc.test: "v=DMARC1; p=none; rua=mailto:postmaster@nodmarc.test"' })
    expect(c.summary).toMatch(/^nodmarc.test publishes no DMARC record;/)
  })

  it('fails two records and a record without a policy', async () => {
    expect(await check('alerts@twice.test')).toMatchObject({ verdict: 'fail', summary: '_dmarc.twice.test holds 2 DMARC records, so receivers apply none of them.' })
    expect((await check('alerts@nopolicy.test')).summary).toContain('has no valid p= policy')
  })

  it('takes the organizational domain from the last two labels, three under a known two-label suffix', () => {
    expect(organizationalDomain('mail.example.com')).toBe('example.com')
    expect(organizationalDomain('a.b.example.co.uk')).toBe('example.co.uk')
    expect(organizationalDomain('example.com')).toBe('example.com')
  })
})
