import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import type { TestDns } from '../../../helpers/dns.ts'
import { spfCheck } from '../../../../src/main/core/diagnostics/dns/spf.ts'
import { evaluateSpf } from '../../../../src/main/core/diagnostics/dns/spf-eval.ts'
import { zoneServer } from './resolver.ts'

// SPF evaluated against a real DNS server: the outgoing address is 192.0.2.10
// (TEST-NET-1), the records are the zones below.

const IP = '192.0.2.10'
const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `a:${prefix}${i + 1}.test`).join(' ')
const hosts = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i + 1}.test`, { A: [`198.51.100.${i + 1}`] }]))

let dns: TestDns
let resolver: Resolver
beforeAll(async () => {
  ;({ dns, resolver } = await zoneServer({
    'good.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all', 'google-site-verification=abc'] },
    'inc.test': { TXT: ['v=spf1 include:_spf.provider.test -all'] },
    '_spf.provider.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.10 ~all'] },
    'redir.test': { TXT: ['v=spf1 redirect=_spf.provider.test'] },
    'wrong.test': { TXT: ['v=spf1 ip4:198.51.100.7 -all'] },
    'soft.test': { TXT: ['v=spf1 ip4:198.51.100.7 ~all'] },
    'neutral.test': { TXT: ['v=spf1 ip4:198.51.100.7'] },
    'plusall.test': { TXT: ['v=spf1 +all'] },
    'none.test': { A: ['198.51.100.1'], TXT: ['some other text'] },
    'two.test': { TXT: ['v=spf1 ip4:192.0.2.10 -all', 'v=spf1 include:_spf.provider.test -all'] },
    'limit.test': { TXT: [`v=spf1 ${many('h', 11)} ip4:192.0.2.10 -all`] },
    'ten.test': { TXT: [`v=spf1 ${many('h', 10)} ip4:192.0.2.10 -all`] },
    ...hosts('h', 11),
    'chain.test': { TXT: ['v=spf1 include:c1.chain.test -all'] },
    ...Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`c${i + 1}.chain.test`, { TXT: [`v=spf1 include:c${i + 2}.chain.test ~all`] }])),
    'void.test': { TXT: ['v=spf1 a:gone1.test a:gone2.test a:gone3.test ip4:192.0.2.10 -all'] },
    'twovoid.test': { TXT: ['v=spf1 a:gone1.test mx:gone2.test ip4:192.0.2.10 -all'] },
    'mx.test': { TXT: ['v=spf1 mx -all'], MX: [{ exchange: 'mail.mx.test', priority: 10 }] },
    'mail.mx.test': { A: ['192.0.2.10'] },
    'cidr.test': { TXT: ['v=spf1 a:host.cidr.test/24 -all'] },
    'host.cidr.test': { A: ['192.0.2.99'] },
    'six.test': { TXT: ['v=spf1 ip4:192.0.2.10 ip6:2001:db8::/32 -all'] },
    'exists.test': { TXT: ['v=spf1 exists:%{i}._spf.%{d} -all'] },
    '192.0.2.10._spf.exists.test': { A: ['127.0.0.2'] },
    'ptr.test': { TXT: ['v=spf1 ptr -all'] },
    '10.2.0.192.in-addr.arpa': { PTR: ['mail.ptr.test'] },
    'mail.ptr.test': { A: ['192.0.2.10'] },
    'bad.test': { TXT: ['v=spf1 ip4:192.0.2 -all'] },
    'bad6.test': { TXT: ['v=spf1 ip6:2001:db8::1::2 -all'] },
    'badcidr.test': { TXT: ['v=spf1 a/33 -all'] },
    'unknown.test': { TXT: ['v=spf1 ipv4:192.0.2.10 -all'] },
    'incnone.test': { TXT: ['v=spf1 include:nothing.test -all'] },
    'o365.test': { TXT: ['v=spf1 ip4:198.51.100.9 include:spf.protection.outlook.com -all'] },
    'spf.protection.outlook.com': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
    'broken.test': { rcode: 'SERVFAIL' },
    'incbroken.test': { TXT: ['v=spf1 include:broken.test -all'] },
  }))
})

const evaluate = (domain: string, ip = IP) => evaluateSpf({ resolver, ip, sender: `alerts@${domain}`, helo: 'mail.example.test' })
const check = (domain: string, outgoingAddress: string | null = IP) => spfCheck({ resolver, hostname: 'mail.example.test', fromAddress: `alerts@${domain}`, outgoingAddress })

describe('SPF evaluation (RFC 7208)', () => {
  it('passes on ip4 with a prefix, and ignores TXT records that are not SPF', async () => {
    const ev = await evaluate('good.test')
    expect(ev).toMatchObject({ result: 'pass', matched: [{ domain: 'good.test', term: 'ip4:192.0.2.0/24' }], lookups: 0 })
  })

  it('follows include: and redirect= to the term that matched', async () => {
    expect(await evaluate('inc.test')).toMatchObject({
      result: 'pass',
      matched: [{ domain: 'inc.test', term: 'include:_spf.provider.test' }, { domain: '_spf.provider.test', term: 'ip4:192.0.2.10' }],
      lookups: 1,
    })
    expect(await evaluate('redir.test')).toMatchObject({ result: 'pass', matched: [{ term: 'redirect=_spf.provider.test' }, { term: 'ip4:192.0.2.10' }] })
    // Inside the include the address softfails: an include that does not pass does not match, and -all decides.
    expect(await evaluate('inc.test', '203.0.113.5')).toMatchObject({ result: 'fail', matched: [{ domain: 'inc.test', term: '-all' }] })
    // Through redirect= the included record's own ~all is the result.
    expect((await evaluate('redir.test', '203.0.113.5')).result).toBe('softfail')
  })

  it('gives fail, softfail and neutral by the qualifier that matched, and neutral when nothing does', async () => {
    expect((await evaluate('wrong.test')).result).toBe('fail')
    expect((await evaluate('soft.test')).result).toBe('softfail')
    const neutral = await evaluate('neutral.test')
    expect(neutral.result).toBe('neutral')
    expect(neutral.matched).toEqual([])
  })

  it('matches a, mx, exists with macros, ip6 and ptr', async () => {
    expect(await evaluate('mx.test')).toMatchObject({ result: 'pass', matched: [{ term: 'mx' }], lookups: 1 })
    expect(await evaluate('cidr.test')).toMatchObject({ result: 'pass', matched: [{ term: 'a:host.cidr.test/24' }] })
    expect((await evaluate('cidr.test', '192.0.3.10')).result).toBe('fail')
    expect(await evaluate('exists.test')).toMatchObject({ result: 'pass', matched: [{ term: 'exists:%{i}._spf.%{d}' }] })
    expect(dns.asked).toContain('192.0.2.10._spf.exists.test')
    expect(await evaluate('six.test', '2001:db8::10')).toMatchObject({ result: 'pass', matched: [{ term: 'ip6:2001:db8::/32' }] })
    expect((await evaluate('six.test', '2001:db9::10')).result).toBe('fail')
    const ptr = await evaluate('ptr.test')
    expect(ptr).toMatchObject({ result: 'pass', usesPtr: true })
    // 192.0.2.11 has no PTR: the mechanism does not match (and that lookup is void).
    expect((await evaluate('ptr.test', '192.0.2.11')).result).toBe('fail')
  })

  it('stops at the 11th DNS lookup with permerror, and never asks it', async () => {
    expect(await evaluate('ten.test')).toMatchObject({ result: 'pass', lookups: 10 })
    const before = dns.asked.length
    const ev = await evaluate('limit.test')
    expect(ev).toMatchObject({ result: 'permerror', problem: 'lookups', lookups: 11 })
    expect(dns.asked.slice(before)).not.toContain('h11.test')
    expect(await evaluate('chain.test')).toMatchObject({ result: 'permerror', problem: 'lookups' })
  })

  it('allows two lookups that find nothing, and stops at the third', async () => {
    expect(await evaluate('twovoid.test')).toMatchObject({ result: 'pass', voidLookups: 2 })
    expect(await evaluate('void.test')).toMatchObject({ result: 'permerror', problem: 'void', voidLookups: 3, voidNames: ['gone1.test', 'gone2.test', 'gone3.test'] })
  })

  it('gives permerror for two SPF records, bad syntax and an include without a record; none for no record', async () => {
    expect(await evaluate('two.test')).toMatchObject({ result: 'permerror', problem: 'multiple' })
    expect(await evaluate('bad.test')).toMatchObject({ result: 'permerror', problem: 'syntax', reason: expect.stringContaining('ip4:192.0.2') })
    expect(await evaluate('bad6.test')).toMatchObject({ result: 'permerror', reason: expect.stringContaining('"ip6:2001:db8::1::2" does not hold an IPv6 address') })
    expect(await evaluate('badcidr.test')).toMatchObject({ result: 'permerror', reason: expect.stringContaining('"a/33" has a prefix length out of range') })
    expect(await evaluate('unknown.test')).toMatchObject({ result: 'permerror', problem: 'syntax', reason: expect.stringContaining('unknown term "ipv4:192.0.2.10"') })
    expect(await evaluate('incnone.test')).toMatchObject({ result: 'permerror', problem: 'include-none' })
    expect(await evaluate('none.test')).toMatchObject({ result: 'none', problem: 'no-record' })
    expect(await evaluate('nxdomain.test')).toMatchObject({ result: 'none' })
  })

  it('gives temperror when a server fails, at the top or inside an include', async () => {
    expect(await evaluate('broken.test')).toMatchObject({ result: 'temperror', problem: 'dns' })
    expect(await evaluate('incbroken.test')).toMatchObject({ result: 'temperror', reason: expect.stringContaining('SERVFAIL') })
  })
})

describe('dns.spf', () => {
  it('passes and names the term that matched, through the include', async () => {
    const c = await check('inc.test')
    expect(c).toMatchObject({ id: 'dns.spf', verdict: 'pass' })
    expect(c.summary).toBe('The SPF record of inc.test allows 192.0.2.10 (ip4:192.0.2.10 in the record of _spf.provider.test, through include:_spf.provider.test).')
    expect(c.detail).toContain('DNS lookups: 1 of 10')
  })

  it('fails a record that does not list the address, with the record to publish', async () => {
    const c = await check('wrong.test')
    expect(c).toMatchObject({ verdict: 'fail', field: 'fromAddress' })
    expect(c.summary).toBe('The SPF record of wrong.test does not allow 192.0.2.10: matched -all, so receivers do not count SPF as passed.')
    expect(c.fix).toBe('Publish this TXT record at wrong.test: "v=spf1 ip4:198.51.100.7 ip4:192.0.2.10 -all"')
    expect((await check('soft.test')).verdict).toBe('warn')
  })

  it('fails a missing record with one ready to copy', async () => {
    const c = await check('none.test')
    expect(c).toMatchObject({ verdict: 'fail', field: 'fromAddress', fix: 'Publish this TXT record at none.test: "v=spf1 ip4:192.0.2.10 -all"' })
  })

  it('explains a permerror with the fix for its cause', async () => {
    const limit = await check('limit.test')
    expect(limit.verdict).toBe('fail')
    expect(limit.summary).toContain('more than 10 DNS lookups')
    expect(limit.fix).toContain('replace include: terms with the ip4:/ip6: ranges')
    const two = await check('two.test')
    expect(two.summary).toContain('2 SPF records')
    expect(two.fix).toContain('Merge the SPF records of two.test')
    const voids = await check('void.test')
    expect(voids.fix).toBe('Remove the terms naming gone1.test, gone2.test and gone3.test from the SPF record: those names have no records.')
  })

  it('warns on +all, which passes every address', async () => {
    const c = await check('plusall.test')
    expect(c.verdict).toBe('warn')
    expect(c.summary).toContain('allows every address on the Internet')
    expect(c.fix).toBe('Publish this TXT record at plusall.test: "v=spf1 ip4:192.0.2.10 -all"')
  })

  it('warns, not fails, when the DNS fails (temperror)', async () => {
    const c = await check('broken.test')
    expect(c.verdict).toBe('warn')
    expect(c.summary).toMatch(/^SPF of broken.test could not be evaluated: the TXT lookup of broken.test failed: the DNS server answered SERVFAIL/)
  })

  it('does not guess without the outgoing address: skip when a record exists, fail when none does', async () => {
    const known = await check('good.test', null)
    expect(known).toMatchObject({ verdict: 'skip', field: 'publicAddress', detail: 'v=spf1 ip4:192.0.2.0/24 -all' })
    expect(known.summary).toContain('the address this system sends from is not known')
    expect((await check('none.test', null)).verdict).toBe('fail')
  })

  it('fails a From Address at a private name without asking DNS', async () => {
    const before = dns.asked.length
    const c = await spfCheck({ resolver, hostname: 'mail.example.test', fromAddress: 'root@localhost.localdomain', outgoingAddress: IP })
    expect(c).toMatchObject({ verdict: 'fail', field: 'fromAddress' })
    expect(dns.asked.length).toBe(before)
  })
})

describe('dns.spf through a relay', () => {
  const through = (domain: string, relay: { host: string; spfInclude: string | null }, outgoingAddress: string | null = IP) =>
    spfCheck({ resolver, hostname: 'mail.example.test', fromAddress: `alerts@${domain}`, outgoingAddress, relay })
  const o365 = { host: 'smtp.office365.com', spfInclude: 'spf.protection.outlook.com' }

  it('passes when the record includes the provider’s servers, whatever address this system has', async () => {
    const c = await through('o365.test', o365)
    expect(c).toMatchObject({ verdict: 'pass', summary: 'The SPF record of o365.test includes spf.protection.outlook.com, the servers mail leaves through from smtp.office365.com.' })
  })

  it('fails when it lacks the provider’s include (this system’s own address allowed or not), and gives the record to publish', async () => {
    // good.test allows 192.0.2.0/24, this system's address: through Microsoft 365 that is not what receivers check.
    const c = await through('good.test', o365)
    expect(c).toMatchObject({ verdict: 'fail', field: 'fromAddress' })
    expect(c.summary).toContain('does not include spf.protection.outlook.com')
    expect(c.fix).toContain('v=spf1 ip4:192.0.2.0/24 include:spf.protection.outlook.com -all')
    expect((await through('none.test', o365)).fix).toContain('v=spf1 include:spf.protection.outlook.com -all')
  })

  it('for a relay it does not know, judges only the record, never this system’s address', async () => {
    const relay = { host: 'mailhub.corp.test', spfInclude: null }
    // wrong.test does not allow this system's address: through a relay that is no failure.
    expect(await through('wrong.test', relay)).toMatchObject({ verdict: 'pass', summary: expect.stringContaining('publishes a sound SPF record') })
    expect(await through('limit.test', relay)).toMatchObject({ verdict: 'fail', summary: expect.stringContaining('permerror') })
    expect(await through('none.test', relay)).toMatchObject({ verdict: 'fail', summary: 'none.test publishes no SPF record, so receivers cannot tell that the relay mailhub.corp.test may send its mail.' })
  })
})

