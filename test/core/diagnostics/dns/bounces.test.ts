import { beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from 'node:dns/promises'
import { senderMxCheck } from '../../../../src/main/core/diagnostics/dns/bounces.ts'
import { zoneServer } from './resolver.ts'

// dns.mx: can the From Address domain receive bounces?

let resolver: Resolver
beforeAll(async () => {
  ;({ resolver } = await zoneServer({
    'example.test': { MX: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'mx1.example.test', priority: 10 }] },
    'mx1.example.test': { A: ['192.0.2.25'] },
    'mx2.example.test': { A: ['192.0.2.26'] },
    'a-only.test': { A: ['192.0.2.27'] },
    'null-mx.test': { MX: [{ exchange: '', priority: 0 }] },
    'noaddr.test': { MX: [{ exchange: 'mx.noaddr.test', priority: 10 }] },
  }))
})

const check = (domain: string) => senderMxCheck({ resolver, hostname: 'mail.example.test', fromAddress: `alerts@${domain}`, outgoingAddress: null })

describe('dns.mx', () => {
  it('passes MX records, by preference', async () => {
    expect(await check('example.test')).toMatchObject({ id: 'dns.mx', verdict: 'pass', summary: 'example.test receives mail at mx1.example.test, mx2.example.test.' })
  })

  it('passes a domain without MX that has an address (RFC 5321 fallback)', async () => {
    expect((await check('a-only.test')).summary).toBe('a-only.test has no MX record, so its mail (and bounces) go to its own address 192.0.2.27, as RFC 5321 allows.')
  })

  it('fails a null MX, a domain that does not exist and mail hosts without addresses', async () => {
    const nullMx = await check('null-mx.test')
    expect(nullMx).toMatchObject({ verdict: 'fail', field: 'fromAddress' })
    expect(nullMx.summary).toContain('publishes a null MX record: it accepts no mail')
    expect(await check('gone.test')).toMatchObject({ verdict: 'fail', summary: 'gone.test does not exist in DNS, so receivers refuse mail from it and bounces cannot come back.' })
    expect((await check('noaddr.test')).verdict).toBe('fail')
  })
})
