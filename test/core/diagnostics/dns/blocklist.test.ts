import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import { blocklistCheck } from '../../../../src/main/core/diagnostics/dns/blocklist.ts'
import { SPAMHAUS_CODES, type Blocklist } from '../../../../src/main/core/diagnostics/dns/input.ts'
import { zoneServer } from './resolver.ts'

// dns.blocklist against blocklist zones of our own on a real DNS server.

const ZEN: Blocklist = { zone: 'zen.bl.test', name: 'Test ZEN', codes: SPAMHAUS_CODES, policyCodes: ['127.0.0.10', '127.0.0.11'] }
const PLAIN: Blocklist = { zone: 'plain.bl.test', name: 'Test Plain' }
const REFUSING: Blocklist = { zone: 'refusing.bl.test', name: 'Test Refusing' }

let resolver: Resolver
beforeAll(async () => {
  ;({ resolver } = await zoneServer({
    '66.2.0.192.zen.bl.test': { A: ['127.0.0.2', '127.0.0.4'], TXT: ['Listed: see https://check.bl.test/192.0.2.66'] },
    '11.2.0.192.zen.bl.test': { A: ['127.0.0.11'] },
    '66.2.0.192.plain.bl.test': { A: ['127.0.0.2'] },
    '10.2.0.192.refusing.bl.test': { A: ['127.255.255.254'] },
    '66.2.0.192.refusing.bl.test': { A: ['127.255.255.254'] },
  }))
})

const check = (outgoingAddress: string | null, blocklists = [ZEN, PLAIN]) => blocklistCheck({ resolver, hostname: 'mail.example.test', fromAddress: 'alerts@example.test', outgoingAddress, blocklists })

describe('dns.blocklist', () => {
  it('passes an address no list has', async () => {
    expect(await check('192.0.2.10')).toMatchObject({ id: 'dns.blocklist', verdict: 'pass', summary: '192.0.2.10 is on none of Test ZEN and Test Plain.' })
  })

  it('fails a listed address with what each answer means and the list’s own text', async () => {
    const c = await check('192.0.2.66')
    expect(c).toMatchObject({ verdict: 'fail', field: 'relayHost' })
    expect(c.summary).toBe(
      '192.0.2.66 is listed on Test ZEN (known spam source (SBL); infected or exploited machine (XBL) — Listed: see https://check.bl.test/192.0.2.66) and Test Plain (listed (127.0.0.2)), and receivers that use these lists refuse its mail.',
    )
  })

  it('warns about a policy listing (PBL): fine through a relay, refused when sending directly', async () => {
    const c = await check('192.0.2.11')
    expect(c).toMatchObject({ verdict: 'warn', field: 'relayHost' })
    expect(c.summary).toContain('dynamic or end-user address')
  })

  it('says the list refused the resolver on 127.255.255.254, and never calls it listed', async () => {
    const c = await check('192.0.2.66', [REFUSING])
    expect(c.verdict).toBe('warn')
    expect(c.summary).toBe('Test Refusing would not answer: the list refuses queries from this resolver (a public or open resolver such as 8.8.8.8) (answer 127.255.255.254), so whether 192.0.2.66 is listed there is not known.')
    expect(c.summary).not.toMatch(/is listed on/)
    const mixed = await check('192.0.2.10', [ZEN, REFUSING])
    expect(mixed.verdict).toBe('warn')
    expect(mixed.summary).toContain('the other lists do not list it')
  })

  it('skips an unknown outgoing address and an IPv6 one', async () => {
    expect(await check(null)).toMatchObject({ verdict: 'skip', field: 'publicAddress' })
    expect((await check('2001:db8::10')).verdict).toBe('skip')
  })
})
