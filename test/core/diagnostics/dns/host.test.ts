import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import { heloCheck } from '../../../../src/main/core/diagnostics/dns/helo.ts'
import { hostnameCheck } from '../../../../src/main/core/diagnostics/dns/hostname.ts'
import { reverseName } from '../../../../src/main/core/diagnostics/dns/input.ts'
import { ptrCheck } from '../../../../src/main/core/diagnostics/dns/ptr.ts'
import { zoneServer } from './resolver.ts'

// Hostname, EHLO name and reverse DNS against a real DNS server; the outgoing
// addresses are TEST-NET-1 and 2001:db8::/32.

let resolver: Resolver
beforeAll(async () => {
  ;({ resolver } = await zoneServer({
    'mail.example.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
    'v6only.example.test': { AAAA: ['2001:db8::20'] },
    'other.example.test': { A: ['192.0.2.30'] },
    'elsewhere.example.test': { A: ['198.51.100.1'] },
    '10.2.0.192.in-addr.arpa': { PTR: ['mail.example.test'] },
    '20.2.0.192.in-addr.arpa': { PTR: ['elsewhere.example.test'] },
    '30.2.0.192.in-addr.arpa': { PTR: ['other.example.test'] },
    [reverseName('2001:db8::10', 6)]: { PTR: ['mail.example.test'] },
  }))
})

const input = (hostname: string, outgoingAddress: string | null = '192.0.2.10') => ({ resolver, hostname, fromAddress: 'alerts@example.test', outgoingAddress })

describe('dns.hostname', () => {
  it('passes a Hostname with A or AAAA records', async () => {
    expect(await hostnameCheck(input('mail.example.test'))).toMatchObject({ id: 'dns.hostname', verdict: 'pass', summary: 'Hostname mail.example.test resolves to 192.0.2.10, 2001:db8::10.' })
    expect((await hostnameCheck(input('v6only.example.test'))).verdict).toBe('pass')
  })

  it('fails a Hostname without records, with the A record to publish', async () => {
    const c = await hostnameCheck(input('missing.example.test'))
    expect(c).toMatchObject({ verdict: 'fail', field: 'hostname', fix: 'Publish this A record: missing.example.test → 192.0.2.10' })
    expect(c.summary).toBe('Hostname missing.example.test has no A or AAAA record, so receivers that look it up find nothing.')
  })

  it('fails the default localhost.localdomain as a private name', async () => {
    expect(await hostnameCheck(input('localhost.localdomain'))).toMatchObject({ verdict: 'fail', field: 'hostname' })
  })
})

describe('dns.helo', () => {
  it('passes a public name that resolves', async () => {
    expect(await heloCheck(input('mail.example.test'))).toMatchObject({ id: 'dns.helo', verdict: 'pass' })
  })

  it.each(['localhost', 'localhost.localdomain', 'mail', 'box.local', '192.0.2.10'])('fails %s', async (name) => {
    expect(await heloCheck(input(name))).toMatchObject({ verdict: 'fail', field: 'hostname' })
  })

  it('fails a name that does not resolve, naming the receivers that refuse it', async () => {
    const c = await heloCheck(input('missing.example.test'))
    expect(c).toMatchObject({ verdict: 'fail', field: 'hostname' })
    expect(c.summary).toContain('does not resolve')
  })
})

describe('dns.ptr', () => {
  it('passes forward-confirmed reverse DNS that is the Hostname, for IPv4 and IPv6', async () => {
    expect(await ptrCheck(input('mail.example.test'))).toMatchObject({ id: 'dns.ptr', verdict: 'pass', summary: '192.0.2.10 has reverse DNS mail.example.test, which resolves back to it.' })
    expect((await ptrCheck(input('mail.example.test', '2001:db8::10'))).verdict).toBe('pass')
  })

  it('fails reverse DNS whose name does not resolve back, with the A record to publish', async () => {
    const c = await ptrCheck(input('mail.example.test', '192.0.2.20'))
    expect(c).toMatchObject({ verdict: 'fail', fix: 'Publish this A record: elsewhere.example.test → 192.0.2.20' })
    expect(c.summary).toBe('192.0.2.20 has reverse DNS elsewhere.example.test, but that name does not resolve back to 192.0.2.20, so it is not forward-confirmed.')
  })

  it('warns when confirmed reverse DNS is not the Hostname', async () => {
    const c = await ptrCheck(input('mail.example.test', '192.0.2.30'))
    expect(c).toMatchObject({ verdict: 'warn', field: 'hostname' })
    expect(c.fix).toBe('Set Hostname to other.example.test, or ask whoever owns 192.0.2.30 (your provider) to set its reverse DNS (PTR) to mail.example.test.')
  })

  it('fails an address without reverse DNS', async () => {
    const c = await ptrCheck(input('mail.example.test', '192.0.2.40'))
    expect(c.verdict).toBe('fail')
    expect(c.summary).toBe('192.0.2.40 has no reverse DNS (PTR) record, and many receivers refuse mail from such addresses.')
  })

  it('skips, never guesses, when the outgoing address is not known', async () => {
    const c = await ptrCheck(input('mail.example.test', null))
    expect(c).toMatchObject({ verdict: 'skip', field: 'publicAddress' })
  })

  it('writes the ip6.arpa name nibble by nibble', () => {
    expect(reverseName('2001:db8::10', 6)).toBe('0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa')
  })
})
