import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CHECK_IDS, type Check, type CheckId } from '../../../src/shared/diagnostics.ts'
import { parseRequest, type ApiEvents } from '../../../src/shared/api.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { dkimKeyOf } from '../../../src/main/core/diagnostics/dns/group.ts'
import { startDns, type TestDns, type ZoneEntry } from '../../helpers/dns.ts'
import { engineWith, removeDir, unwrap } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'
import { selfSignedCert } from '../../helpers/tls.ts'

// The whole Troubleshooting run through the engine: the relay or direct checks
// against a real smtp-server on loopback and the DNS checks against a real dns2
// server, the DNS ones judging the address the relay's or MX's EHLO reply named
// (a TEST-NET address, as a relay on the Internet would see this system).

const SEEN_AS = '192.0.2.10'
// smtp-server's own EHLO reply, naming the address a relay outside the network would see.
const seesPublic = { heloResponse: `%s Nice to meet you, [${SEEN_AS}]` }

let dns: TestDns
/** The zone the test DNS answers from, read at each question: a test may publish a record in it. */
const zone: Record<string, ZoneEntry> = {}
beforeAll(async () => {
  Object.assign(zone, {
    'console.example.test': { A: [SEEN_AS] },
    '10.2.0.192.in-addr.arpa': { PTR: ['console.example.test'] },
    'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }], TXT: [`v=spf1 ip4:${SEEN_AS} -all`] },
    '_dmarc.example.test': { TXT: ['v=DMARC1; p=reject'] },
    'mx.example.test': { A: ['127.0.0.1'] },
    'recipient.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
    // The test blocklist lists the outgoing address: only a lookup of that address finds it.
    '10.2.0.192.bl.test': { A: ['127.0.0.2'], TXT: ['Listed for a test'] },
  })
  dns = await startDns(zone)
})
afterAll(() => dns.close())

let engine: CoreEngine | null = null
let smtp: TestSmtp | null = null
afterEach(async () => {
  await engine?.close()
  if (engine) removeDir(engine.dataDir)
  engine = null
  await smtp?.close()
  smtp = null
})

async function runOn(settings: Partial<SettingsFields>, request: Record<string, unknown> = {}, options: { directPort?: number } = {}) {
  engine = await engineWith(settings, { startWorker: false, dnsServers: [dns.server], blocklists: [{ zone: 'bl.test', name: 'Test list' }], ...options })
  const events: ApiEvents['diagnostics.progress'][] = []
  const off = engine.on('diagnostics.progress', (e) => events.push(e))
  const report = unwrap(await engine.call('diagnostics.run', unwrap(parseRequest('diagnostics.run', { runId: 'dns-1', ...request }))))
  off()
  const by = Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<CheckId, Check>
  return { report, by, events }
}

const DNS_IDS = CHECK_IDS.filter((id) => id.startsWith('dns.'))

describe('the DNS checks in a run', () => {
  it('a relay and a direct setup between them answer every check id, the DNS ones for the address the relay or MX saw', async () => {
    smtp = await startSmtp({ tls: 'starttls', serverOptions: seesPublic })
    const relay = await runOn({ relayHost: '127.0.0.1', relayPort: smtp.port, useTls: true, tlsMode: 'starttls', caPem: selfSignedCert().cert }, { recipientDomain: 'recipient.test' })
    expect(relay.report.checks.map((c) => c.id)).toEqual(CHECK_IDS.filter((id) => id.startsWith('relay.') || id.startsWith('dns.')))
    expect(relay.events.map((e) => e.check.id).sort()).toEqual(relay.report.checks.map((c) => c.id).sort())
    await engine!.close()
    removeDir(engine!.dataDir)
    await smtp.close()

    smtp = await startSmtp({ tls: 'starttls', serverOptions: seesPublic })
    const direct = await runOn({}, { recipientDomain: 'recipient.test' }, { directPort: smtp.port })
    expect(direct.report.checks.map((c) => c.id)).toEqual(CHECK_IDS.filter((id) => id.startsWith('direct.') || id.startsWith('dns.')))
    expect(direct.by['direct.port25'].verdict).toBe('pass')

    for (const { by } of [relay, direct]) {
      for (const id of DNS_IDS) expect(['pass', 'warn', 'fail', 'skip'], id).toContain(by[id].verdict)
      expect(by['dns.hostname'].verdict).toBe('pass')
      expect(by['dns.ptr']).toMatchObject({ verdict: 'pass', summary: `${SEEN_AS} has reverse DNS console.example.test, which resolves back to it.` })
      expect(by['dns.spf'].verdict).toBe('pass')
      expect(by['dns.blocklist'].summary).toContain(`${SEEN_AS} is listed on Test list`)
      expect(by['dns.dkim']).toMatchObject({ verdict: 'skip', summary: 'DKIM signing is off, so there is no key record to check.' })
    }
    // Sending directly, receivers judge this system's address; through a relay they judge the relay's servers.
    expect(direct.by['dns.spf'].summary).toContain(`allows ${SEEN_AS}`)
    expect(direct.by['dns.blocklist'].verdict).toBe('fail')
    expect(relay.by['dns.spf'].summary).toBe('example.test publishes a sound SPF record; receivers check it against the servers of the relay 127.0.0.1, which only the relay\'s provider can name.')
    expect(relay.by['dns.blocklist'].verdict).toBe('warn')
    expect(relay.by['dns.blocklist'].detail).toContain('Mail leaves through the relay 127.0.0.1: receivers see its servers')
    expect(relay.by['dns.ptr'].detail).toContain(`Outgoing address: ${SEEN_AS}, as the relay 127.0.0.1:${relay.by['relay.tcp'].summary.match(/:(\d+)/)![1]} saw this system connect.`)
    expect(direct.by['dns.ptr'].detail).toContain(`as the MX mx.example.test saw this system connect.`)
    // Running the checks sent nothing.
    expect(smtp.received).toEqual([])
  })

  it('a relay that sees a private address leaves the address checks unknown, never guessed; the Public address setting answers them', async () => {
    // A relay inside the network sees this system's private address.
    smtp = await startSmtp({ tls: 'starttls', serverOptions: { heloResponse: '%s Nice to meet you, [10.20.30.40]' } })
    const relay = { relayHost: '127.0.0.1', relayPort: smtp.port, useTls: true, tlsMode: 'starttls' as const, caPem: selfSignedCert().cert }
    const unknown = await runOn(relay)
    for (const id of ['dns.ptr', 'dns.blocklist'] as const) {
      expect(unknown.by[id], id).toMatchObject({ verdict: 'skip', field: 'publicAddress' })
      expect(unknown.by[id].detail, id).toContain(`The relay 127.0.0.1:${smtp.port} sees this system as 10.20.30.40, a private address the Internet does not see`)
    }
    expect(dns.asked).not.toContain('40.30.20.10.in-addr.arpa')
    // Name checks do not wait for the address.
    expect(unknown.by['dns.hostname'].verdict).toBe('pass')
    await engine!.close()
    removeDir(engine!.dataDir)

    const told = await runOn({ ...relay, publicAddress: SEEN_AS })
    expect(told.by['dns.ptr'].verdict).toBe('pass')
    expect(told.by['dns.ptr'].detail).toContain(`Outgoing address: ${SEEN_AS}, the Public address of the settings.`)
    expect(told.by['dns.blocklist'].summary).toContain(`${SEEN_AS} is listed on Test list`)
  })

  it("Edit Settings' Check connection (scope connection) runs no DNS check", async () => {
    smtp = await startSmtp({ tls: 'starttls', serverOptions: seesPublic })
    const { report } = await runOn({ relayHost: '127.0.0.1', relayPort: smtp.port, useTls: true, tlsMode: 'starttls', caPem: selfSignedCert().cert }, { scope: 'connection' })
    expect(report.checks.map((c) => c.id)).toEqual(CHECK_IDS.filter((id) => id.startsWith('relay.')))
  })

  it('dns.dkim checks the saved key against the record published for its selector, and names a record of another key', async () => {
    engine = await engineWith({ fromAddress: 'alerts@example.test' }, { startWorker: false, dnsServers: [dns.server], blocklists: [{ zone: 'bl.test', name: 'Test list' }] })
    const e = engine
    const saveKey = async (algorithm: 'ed25519' | 'rsa-2048') => {
      const { keyId } = unwrap(await e.call('dkim.generateKey', { algorithm }))
      return unwrap(await e.call('settings.update', { settings: { ...e.settings.get(), dkimEnabled: true, dkimSelector: 'sel1' }, dkimKey: { generated: keyId } })).dkim.record!
    }
    const dkimCheck = async () => unwrap(await e.call('diagnostics.run', { scope: 'all' })).checks.find((c) => c.id === 'dns.dkim')!
    const first = await saveKey('ed25519')
    expect(first.name).toBe('sel1._domainkey.example.test')
    zone[first.name] = { TXT: [first.value] }
    expect(await dkimCheck()).toMatchObject({ verdict: 'pass' })
    // A new key saved, the old record still published: receivers would fail the signatures.
    await saveKey('rsa-2048')
    expect(await dkimCheck()).toMatchObject({ verdict: 'fail', field: 'dkimSelector' })
    delete zone[first.name]
  })

  it('dkimKeyOf: no key while signing is off or has no public key; with both, the key and the settings that hold it', () => {
    const s = { hostname: 'h.example.test', fromAddress: 'alerts@mail.example.test', dkimDomain: '' } as SettingsFields
    const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----'
    expect(dkimKeyOf(s, pem)).toBeUndefined()
    expect(dkimKeyOf({ ...s, dkimEnabled: true, dkimDomain: 'example.test', dkimSelector: 's1' }, null)).toBeUndefined()
    expect(dkimKeyOf({ ...s, dkimEnabled: true, dkimDomain: 'example.test', dkimSelector: 's1' }, pem)).toEqual({
      domain: 'example.test',
      selector: 's1',
      publicKeyPem: pem,
      fields: { domain: 'dkimDomain', selector: 'dkimSelector' },
    })
    // A blank DKIM Domain signs for the From Address's domain.
    expect(dkimKeyOf({ ...s, dkimEnabled: true, dkimSelector: 's1' }, pem)).toMatchObject({ domain: 'mail.example.test' })
  })
})
