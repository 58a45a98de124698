import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { Check, CheckId } from '../../../src/shared/diagnostics.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { directChecks } from '../../../src/main/core/diagnostics/direct.ts'
import { relayChecks } from '../../../src/main/core/diagnostics/relay.ts'
import { runDiagnostics, type CheckGroup } from '../../../src/main/core/diagnostics/run.ts'
import { startDns } from '../../helpers/dns.ts'
import { testSettings } from '../../helpers/engine.ts'
import { closedPort, startSilentServer, startSmtp } from '../../helpers/smtp.ts'

// The direct checks (Relay Host blank) against a real dns2 server answering
// MX for a domain whose mail host is 127.0.0.1, and a real smtp-server on the
// engine's direct port; and the run's bound, with everything silent.

const closers: (() => Promise<void>)[] = []
let dataCalls = 0
afterEach(async () => {
  while (closers.length) await closers.pop()!()
  expect(dataCalls).toBe(0)
})

async function mailServer() {
  const s = await startSmtp({
    tls: 'starttls',
    serverOptions: {
      onData(stream, _session, cb) {
        dataCalls++
        stream.resume()
        stream.on('end', () => cb(new Error('no message may be sent by a check')))
      },
    },
  })
  closers.push(() => s.close())
  return s
}

async function zone() {
  const dns = await startDns({
    'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
    'mx.example.test': { A: ['127.0.0.1'] },
    'nomail.test': { MX: [{ exchange: '.', priority: 0 }] },
  })
  closers.push(() => dns.close())
  return dns
}

async function run(settings: Partial<SettingsFields>, opts: { recipientDomain?: string; dnsServers: string[]; directPort: number; groups?: CheckGroup[]; boundMs?: number }) {
  const report = await runDiagnostics(
    { settings: testSettings(settings), password: async () => null, recipientDomain: opts.recipientDomain, dnsServers: opts.dnsServers, directPort: opts.directPort },
    { groups: opts.groups ?? [directChecks], ...(opts.boundMs ? { boundMs: opts.boundMs } : {}) },
  )
  return { report, by: Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<CheckId, Check> }
}

describe('direct checks', () => {
  it('finds the MX, reaches its port and reports its STARTTLS certificate', async () => {
    const [dns, smtp] = [await zone(), await mailServer()]
    const { report, by } = await run({}, { recipientDomain: 'example.test', dnsServers: [dns.server], directPort: smtp.port })
    expect(report.checks.map((c) => c.id)).toEqual(['direct.mx', 'direct.port25', 'direct.starttls'])
    expect(by['direct.mx']).toMatchObject({ verdict: 'pass', summary: 'example.test has 1 mail server: mx.example.test.', detail: 'mx.example.test: 127.0.0.1' })
    expect(by['direct.port25'].verdict).toBe('pass')
    expect(by['direct.port25'].summary).toMatch(new RegExp(`^mx\\.example\\.test\\[127\\.0\\.0\\.1\\]:${smtp.port} answered in \\d+ ms\\.$`))
    // Use TLS off: direct delivery takes any certificate, so a self-signed one for another name is a warning.
    expect(by['direct.starttls'].verdict).toBe('warn')
    expect(by['direct.starttls'].summary).toMatch(/^mx\.example\.test offers STARTTLS \(TLSv1\.[23]\)\. The certificate of mx\.example\.test is self-signed \(issuer: localhost\)\. Mail still goes, because Use TLS is off/)
    expect(by['direct.starttls'].field).toBeUndefined()
  })

  it('with Use TLS on, a certificate that does not verify is a fail pointing at Use TLS', async () => {
    const [dns, smtp] = [await zone(), await mailServer()]
    const { by } = await run({ useTls: true }, { recipientDomain: 'example.test', dnsServers: [dns.server], directPort: smtp.port })
    expect(by['direct.starttls']).toMatchObject({ verdict: 'fail', field: 'useTls' })
    expect(by['direct.starttls'].fix).toMatch(/^Direct delivery with Use TLS on trusts only certificates from public authorities/)
  })

  it('port 25 refused: a fail that says outgoing 25 is often blocked and suggests a relay', async () => {
    const dns = await zone()
    const port = await closedPort()
    const { by } = await run({}, { recipientDomain: 'example.test', dnsServers: [dns.server], directPort: port })
    expect(by['direct.port25']).toMatchObject({
      verdict: 'fail',
      summary: `Every mail server of example.test refused port ${port}: nothing listens there, or a firewall on the way rejects it. Outgoing port ${port} is often blocked by firewalls and internet providers.`,
      field: 'relayHost',
    })
    expect(by['direct.port25'].fix).toContain('send through a relay: enter a Relay Host')
    expect(by['direct.starttls'].verdict).toBe('skip')
  })

  it('a null MX and a domain that does not exist are fails, in words', async () => {
    const dns = await zone()
    const nullMx = await run({}, { recipientDomain: 'nomail.test', dnsServers: [dns.server], directPort: 25 })
    expect(nullMx.by['direct.mx']).toMatchObject({ verdict: 'fail', summary: 'nomail.test publishes a null MX record: it accepts no mail at all.' })
    const missing = await run({}, { recipientDomain: 'missing.test', dnsServers: [dns.server], directPort: 25 })
    expect(missing.by['direct.mx']).toMatchObject({ verdict: 'fail', summary: 'missing.test does not exist in DNS.' })
    expect(missing.by['direct.port25'].verdict).toBe('skip')
  })

  it('without a recipient domain, says what to name', async () => {
    const { report } = await run({}, { dnsServers: ['127.0.0.1:9'], directPort: 25 })
    expect(report.checks.map((c) => c.verdict)).toEqual(['skip', 'skip', 'skip'])
    expect(report.checks[0]!.summary).toBe('Not checked: name a recipient domain (where your mail goes) to look up its mail servers.')
  })
})

describe('the whole run is bounded', () => {
  /** A DNS server that takes every question and answers none. */
  async function silentDns(): Promise<string> {
    const socket: UdpSocket = createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
    closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())))
    return `127.0.0.1:${socket.address().port}`
  }

  /** A group that never finishes, as a check stuck on a peer would. */
  const stuck: CheckGroup = {
    checks: { 'dns.spf': 'SPF', 'dns.dmarc': 'DMARC' },
    async *run(ctx) {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', () => setTimeout(resolve, 60_000), { once: true }))
      yield { id: 'dns.spf', title: 'SPF', verdict: 'pass', summary: 'too late', ms: 0 }
    },
  }

  it('everything silent: the run ends with a verdict for every check', async () => {
    const silent = await startSilentServer()
    closers.push(() => silent.close())
    const dns = await silentDns()
    // The relay's greeting would be awaited 30 s by the settings; the bound stops the run first.
    const relay = await run({ relayHost: '127.0.0.1', relayPort: silent.port, greetingTimeoutSec: 30 }, { dnsServers: [dns], directPort: 25, groups: [relayChecks, stuck], boundMs: 1500 })
    expect(relay.report.checks.map((c) => c.id)).toEqual(['relay.tcp', 'relay.banner', 'relay.tls', 'relay.certificate', 'relay.auth', 'relay.sender', 'dns.spf', 'dns.dmarc'])
    expect(relay.by['relay.tcp'].verdict).toBe('pass')
    for (const id of ['relay.banner', 'relay.tls', 'relay.sender', 'dns.spf', 'dns.dmarc'] as const) {
      expect(relay.by[id]).toMatchObject({ verdict: 'skip', summary: 'Not checked: the checks stopped after 2 s in all, before this one finished.' })
    }
    expect(relay.by['dns.spf'].title).toBe('SPF')

    const direct = await run({}, { recipientDomain: 'example.test', dnsServers: [dns], directPort: 25, groups: [directChecks, stuck], boundMs: 1500 })
    expect(direct.report.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['direct.mx', 'skip'],
      ['direct.port25', 'skip'],
      ['direct.starttls', 'skip'],
      ['dns.spf', 'skip'],
      ['dns.dmarc', 'skip'],
    ])
  })
})
