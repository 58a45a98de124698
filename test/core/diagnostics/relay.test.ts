import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Check, CheckId } from '../../../src/shared/diagnostics.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { relayChecks } from '../../../src/main/core/diagnostics/relay.ts'
import { runDiagnostics, type CheckGroup, type OutgoingAddress } from '../../../src/main/core/diagnostics/run.ts'
import { testSettings } from '../../helpers/engine.ts'
import { closedPort, smtpError, startSilentServer, startSmtp, type TestSmtpOptions } from '../../helpers/smtp.ts'
import { issueCert, makeCa, type TestCa, type TestCert } from '../../helpers/tls.ts'

// The relay checks against real smtp-server setups on loopback: each check's
// verdict, its sentence and the setting it points at. Every server counts
// DATA commands: a check must never send a message.

const DAY = 86_400_000
const USER = 'relay-user'
const PASS = 'S3cret-relay-pass'

let ca: TestCa
let good: TestCert
beforeAll(() => {
  ca = makeCa()
  good = issueCert(ca, { names: ['localhost', '127.0.0.1'], notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 90 * DAY) })
})

const closers: (() => Promise<void>)[] = []
let dataCalls = 0
afterEach(async () => {
  while (closers.length) await closers.pop()!()
  // Not one message reached any server's DATA.
  expect(dataCalls).toBe(0)
})
afterAll(() => undefined)

async function server(opts: TestSmtpOptions = {}) {
  const s = await startSmtp({
    cert: good,
    ...opts,
    // smtp-server calls onData as soon as it accepts a DATA command: counted there, before any body.
    serverOptions: {
      ...opts.serverOptions,
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

interface RunOpts {
  password?: string | null
  recipientDomain?: string
  groups?: CheckGroup[]
  boundMs?: number
}

async function run(settings: Partial<SettingsFields>, opts: RunOpts = {}) {
  const progress: Check[] = []
  const report = await runDiagnostics(
    {
      settings: testSettings({ relayHost: '127.0.0.1', caPem: ca.cert, ...settings }),
      password: async () => (opts.password === undefined ? PASS : opts.password),
      recipientDomain: opts.recipientDomain,
      dnsServers: ['127.0.0.1:9'],
      directPort: 25,
    },
    { groups: opts.groups ?? [relayChecks], onCheck: (c) => progress.push(c), ...(opts.boundMs ? { boundMs: opts.boundMs } : {}) },
  )
  const by = Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<CheckId, Check>
  return { report, by, progress }
}

const sasl = { useSasl: true, username: USER }

describe('relay checks: TLS against the settings', () => {
  it('a STARTTLS relay with the right settings passes every check, and nothing is sent', async () => {
    const s = await server({ tls: 'starttls', auth: { user: USER, pass: PASS } })
    const { report, by, progress } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', ...sasl }, { recipientDomain: 'example.net' })
    expect(report.checks.map((c) => c.id)).toEqual(['relay.tcp', 'relay.banner', 'relay.tls', 'relay.certificate', 'relay.auth', 'relay.sender'])
    expect(report.checks.map((c) => [c.id, c.verdict])).toEqual(report.checks.map((c) => [c.id, 'pass']))
    // Progress came one check at a time, in the order they finished.
    expect(progress.map((c) => c.id)).toEqual(report.checks.map((c) => c.id))
    expect(by['relay.tcp'].summary).toMatch(new RegExp(`^127\\.0\\.0\\.1:${s.port} accepted the connection in \\d+ ms\\.$`))
    expect(by['relay.banner'].summary).toContain('offers STARTTLS')
    expect(by['relay.tls'].summary).toMatch(new RegExp(`^Port ${s.port} offers STARTTLS, as the settings use it; the session was encrypted with TLSv1\\.[23]\\.$`))
    expect(by['relay.certificate'].summary).toMatch(/^The certificate of 127\.0\.0\.1 is trusted \(issuer: Test Private CA\), carries its name and is valid until \d{4}-\d\d-\d\d\.$/)
    expect(by['relay.auth'].summary).toMatch(/^The relay accepted the Username and Password \(AUTH PLAIN over TLSv1\.[23]\)\.$/)
    expect(by['relay.sender'].summary).toBe('The relay accepts mail from alerts@example.test to postmaster@example.net.')
    expect(by['relay.sender'].detail).toMatch(/C: RSET\n.*\nC: QUIT/s)
    expect(report.checks.every((c) => c.field === undefined)).toBe(true)
    // The transcript shows the sign-in, never the credentials.
    const transcript = by['relay.auth'].detail!
    expect(transcript).toContain('C: AUTH PLAIN (hidden)')
    expect(transcript).toContain('S: 235')
    expect(report.checks.map((c) => c.detail ?? '').join('\n')).not.toContain(PASS)
    expect(report.checks.map((c) => c.detail ?? '').join('\n')).not.toContain(Buffer.from(`\0${USER}\0${PASS}`).toString('base64'))
  })

  it('an implicit-TLS relay with implicit TLS settings passes', async () => {
    const s = await server({ tls: 'implicit' })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'implicit' })
    expect(by['relay.banner'].verdict).toBe('pass')
    expect(by['relay.tls']).toMatchObject({ verdict: 'pass', summary: expect.stringMatching(new RegExp(`^Port ${s.port} speaks implicit TLS \\(TLSv1\\.[23]\\), as the settings use it\\.$`)) })
    expect(by['relay.certificate'].verdict).toBe('pass')
    expect(by['relay.auth']).toMatchObject({ verdict: 'skip', summary: 'Use SASL Authorization is off, so no sign-in is tried; the relay offers no AUTH.' })
    expect(by['relay.sender']).toMatchObject({ verdict: 'pass', summary: 'The relay accepts mail from alerts@example.test to postmaster@example.test.' })
    expect(by['relay.sender'].detail).toContain("No recipient domain was named, so the From Address's own postmaster was asked")
  })

  it('STARTTLS port with implicit TLS settings: a fail that names its fix', async () => {
    const s = await server({ tls: 'starttls' })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'implicit' })
    expect(by['relay.banner'].verdict).toBe('pass')
    expect(by['relay.tls']).toMatchObject({
      verdict: 'fail',
      summary: `Port ${s.port} offers STARTTLS but the settings use implicit TLS: set TLS mode to STARTTLS, or use port 465.`,
      field: 'tlsMode',
    })
    // The rest is checked as it will be once the mode is right.
    expect(by['relay.certificate'].verdict).toBe('pass')
    expect(by['relay.sender'].verdict).toBe('pass')
  })

  it('implicit-TLS port with STARTTLS settings: a fail that names its fix', async () => {
    const s = await server({ tls: 'implicit' })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', greetingTimeoutSec: 1 })
    expect(by['relay.banner']).toMatchObject({ verdict: 'warn', field: 'tlsMode' })
    expect(by['relay.banner'].summary).toMatch(new RegExp(`^127\\.0\\.0\\.1:${s.port} sent no greeting to a plain connection within 1 s: the port speaks implicit TLS\\. Over TLS it greets "220 .*test server ready"`))
    expect(by['relay.tls']).toMatchObject({
      verdict: 'fail',
      summary: `Port ${s.port} speaks implicit TLS, but the settings use STARTTLS: set TLS mode to Implicit TLS, or use port 587.`,
      field: 'tlsMode',
    })
  })

  it('implicit-TLS port with Use TLS off: the fix is to turn on Use TLS', async () => {
    const s = await server({ tls: 'implicit' })
    const { by } = await run({ relayPort: s.port, useTls: false, greetingTimeoutSec: 1 })
    expect(by['relay.banner']).toMatchObject({ verdict: 'warn', field: 'useTls' })
    expect(by['relay.tls']).toMatchObject({ verdict: 'fail', summary: `Port ${s.port} speaks implicit TLS, but Use TLS is off.`, field: 'useTls' })
    expect(by['relay.tls'].fix).toBe('Turn on Use TLS with TLS mode Implicit TLS.')
  })

  it('a relay without TLS: a warning with Use TLS off, and the password is never sent', async () => {
    const s = await server({ tls: 'none', auth: { user: USER, pass: PASS } })
    const { by } = await run({ relayPort: s.port, useTls: false, ...sasl })
    expect(by['relay.tls']).toMatchObject({ verdict: 'warn', summary: `Port ${s.port} offers no TLS: mail, and any login, would cross the network unencrypted.`, field: 'relayPort' })
    expect(by['relay.certificate']).toMatchObject({ verdict: 'skip', summary: 'Not checked: the connection is not encrypted, so there is no certificate to check.' })
    expect(by['relay.auth']).toMatchObject({
      verdict: 'fail',
      summary: 'The connection is not encrypted, so the Password was not sent: the console never signs in without TLS.',
      field: 'relayPort',
    })
    expect(by['relay.sender'].verdict).toBe('skip')
    expect(s.auths).toBe(0)
    expect(by['relay.auth'].detail).not.toContain('C: AUTH')
  })

  it('a relay without TLS and Use TLS on: STARTTLS required and missing is a fail', async () => {
    const s = await server({ tls: 'none' })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' })
    expect(by['relay.tls']).toMatchObject({ verdict: 'fail', summary: `Port ${s.port} offers no STARTTLS, and Use TLS requires it: no mail can go this way.`, field: 'relayPort' })
  })
})

describe('relay checks: the certificate', () => {
  it('self-signed: a fail whose fix is its CA, never turning verification off; no password goes to it', async () => {
    const s = await server({ tls: 'starttls', cert: undefined, auth: { user: USER, pass: PASS } })
    // The helper's default certificate is self-signed; no CA certificate is given.
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', caPem: '', ...sasl, relayHost: 'localhost' })
    expect(by['relay.certificate']).toMatchObject({ verdict: 'fail', field: 'caPem' })
    expect(by['relay.certificate'].summary).toBe('The certificate of localhost is self-signed (issuer: localhost).')
    expect(by['relay.certificate'].fix).toBe("Ask the relay's administrator for the certificate authority that signed it (issuer: localhost) and paste it under Advanced as CA certificate.")
    expect(by['relay.certificate'].fix).not.toMatch(/Verify certificate/)
    expect(by['relay.auth']).toMatchObject({ verdict: 'fail', field: 'caPem' })
    expect(by['relay.auth'].summary).toBe('The Password was not sent: the certificate of localhost did not verify (DEPTH_ZERO_SELF_SIGNED_CERT), and the password goes only to a verified server.')
    expect(s.auths).toBe(0)
  })

  it('expired: a fail that says when, with nothing in the settings to change', async () => {
    const expired = issueCert(ca, { names: ['localhost', '127.0.0.1'], notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2020-03-01T00:00:00Z') })
    const s = await server({ tls: 'implicit', cert: expired })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'implicit' })
    expect(by['relay.certificate']).toMatchObject({ verdict: 'fail', summary: 'The certificate of 127.0.0.1 expired on 2020-03-01.' })
    expect(by['relay.certificate'].field).toBeUndefined()
    expect(by['relay.certificate'].fix).toBe("Ask the relay's administrator to renew it: no setting here can make an expired certificate valid.")
  })

  it('for another host name: a fail pointing at Relay Host', async () => {
    const other = issueCert(ca, { names: ['mail.example.net'], notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 90 * DAY) })
    const s = await server({ tls: 'starttls', cert: other })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' })
    expect(by['relay.certificate']).toMatchObject({ verdict: 'fail', summary: 'The certificate of 127.0.0.1 is for mail.example.net, not for 127.0.0.1.', field: 'relayHost' })
    expect(by['relay.certificate'].fix).toBe("Set Relay Host to a name the certificate carries (mail.example.net), as the relay's provider documents it.")
  })

  it('expiring within 14 days: a warning', async () => {
    const soon = issueCert(ca, { names: ['localhost', '127.0.0.1'], notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 5 * DAY) })
    const s = await server({ tls: 'starttls', cert: soon })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' })
    expect(by['relay.certificate'].verdict).toBe('warn')
    expect(by['relay.certificate'].summary).toMatch(/^The certificate of 127\.0\.0\.1 is trusted but expires in [45] days \(\d{4}-\d\d-\d\d\)\.$/)
  })
})

describe('relay checks: sign-in and relaying', () => {
  it('AUTH PLAIN only', async () => {
    const s = await server({ tls: 'starttls', auth: { user: USER, pass: PASS }, serverOptions: { authMethods: ['PLAIN'] } })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', ...sasl })
    expect(by['relay.banner'].summary).toContain('AUTH PLAIN')
    expect(by['relay.auth'].verdict).toBe('pass')
    expect(by['relay.auth'].summary).toMatch(/\(AUTH PLAIN over TLSv1\.[23]\)/)
    expect(by['relay.sender'].verdict).toBe('pass')
  })

  it('AUTH LOGIN only, credentials hidden in the transcript', async () => {
    const s = await server({ tls: 'starttls', auth: { user: USER, pass: PASS }, serverOptions: { authMethods: ['LOGIN'] } })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', ...sasl })
    expect(by['relay.auth'].verdict).toBe('pass')
    expect(by['relay.auth'].summary).toMatch(/\(AUTH LOGIN over TLSv1\.[23]\)/)
    const detail = by['relay.auth'].detail!
    expect(detail).toContain('C: AUTH LOGIN')
    expect(detail).toContain('C: (hidden) (Password)')
    expect(detail).not.toContain(Buffer.from(PASS).toString('base64'))
    expect(detail).not.toContain(Buffer.from(USER).toString('base64'))
  })

  it('credentials refused: a fail pointing at Password, and relaying is not tried', async () => {
    const s = await server({ tls: 'starttls', auth: { user: USER, pass: 'another' } })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', ...sasl })
    expect(by['relay.auth']).toMatchObject({
      verdict: 'fail',
      summary: 'The relay refused the Username and Password: "535 5.7.8 Authentication credentials invalid".',
      field: 'password',
    })
    expect(by['relay.sender'].verdict).toBe('skip')
  })

  it('SASL on without a Password: a fail pointing at Password, nothing tried', async () => {
    const s = await server({ tls: 'starttls', auth: { user: USER, pass: PASS } })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls', ...sasl }, { password: null })
    expect(by['relay.auth']).toMatchObject({ verdict: 'fail', summary: 'Use SASL Authorization is on, but no Password is set.', field: 'password' })
    expect(s.auths).toBe(0)
  })

  it('relay refused at RCPT: "554 relay access denied" decoded, then RSET', async () => {
    const s = await server({ tls: 'starttls', onRcpt: (to) => (to.endsWith('@example.net') ? smtpError(554, `5.7.1 <${to}>: Relay access denied`) : null) })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' }, { recipientDomain: 'example.net' })
    expect(by['relay.sender']).toMatchObject({ verdict: 'fail', field: 'useSasl' })
    expect(by['relay.sender'].summary).toBe(
      `The server 127.0.0.1:${s.port} refused to relay the message: it does not pass on mail for other domains from this workstation without a login ("relay access denied") (answer to RCPT TO:<postmaster@example.net>: "554 5.7.1 <postmaster@example.net>: Relay access denied").`,
    )
    expect(by['relay.sender'].fix).toMatch(/^Turn on Use SASL Authorization/)
    expect(by['relay.sender'].detail).toMatch(/C: RCPT TO:<postmaster@example\.net>\nS: 554[^\n]*\nC: RSET/)
  })

  it('a chosen address is asked instead of the postmaster', async () => {
    const asked: string[] = []
    const s = await server({ tls: 'starttls', onRcpt: (to) => (asked.push(to), null) })
    const { by } = await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' }, { recipientDomain: 'ops@example.org' })
    expect(by['relay.sender'].summary).toBe('The relay accepts mail from alerts@example.test to ops@example.org.')
    expect(asked).toEqual(['ops@example.org'])
  })
})

describe('relay checks: unreachable and silent', () => {
  it('a port nothing listens on: refused, told apart from a timeout, the rest not checked', async () => {
    const port = await closedPort()
    const { report, by } = await run({ relayPort: port, useTls: true, tlsMode: 'starttls' })
    expect(by['relay.tcp']).toMatchObject({
      verdict: 'fail',
      summary: `127.0.0.1:${port} refused the connection: nothing listens on port ${port} there, or a firewall rejects it.`,
      field: 'relayPort',
    })
    expect(report.checks.slice(1).map((c) => [c.verdict, c.summary])).toEqual(report.checks.slice(1).map(() => ['skip', 'Not checked: the relay could not be reached.']))
  })

  it('a port that accepts TCP and never greets: named as silent, not as implicit TLS', async () => {
    const silent = await startSilentServer()
    closers.push(() => silent.close())
    const { by } = await run({ relayPort: silent.port, useTls: true, tlsMode: 'starttls', greetingTimeoutSec: 1 })
    expect(by['relay.tcp'].verdict).toBe('pass')
    expect(by['relay.banner']).toMatchObject({
      verdict: 'fail',
      summary: `127.0.0.1:${silent.port} accepted the connection but sent no greeting within 1 s, and does not answer TLS either: it is not a working SMTP server, or something on the way holds the connection.`,
      field: 'relayPort',
    })
    for (const id of ['relay.tls', 'relay.certificate', 'relay.auth', 'relay.sender'] as const) expect(by[id].verdict).toBe('skip')
  })
})

describe('the outgoing address for the DNS checks', () => {
  /** A group as the DNS checks are: it waits for what the relay's EHLO reply named. */
  const reader = (seen: (a: OutgoingAddress | null) => void): CheckGroup => ({
    checks: { 'dns.ptr': 'Reverse DNS' },
    async *run(ctx) {
      const address = await ctx.outgoing
      seen(address)
      yield { id: 'dns.ptr', title: 'Reverse DNS', verdict: 'skip', summary: 'read', ms: 0 }
    },
  })

  it('is read from the EHLO reply, and marked as not routable on loopback', async () => {
    const s = await server({ tls: 'starttls', serverOptions: { disableReverseLookup: true } })
    let seen: OutgoingAddress | null | undefined
    await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' }, { groups: [relayChecks, reader((a) => (seen = a))] })
    expect(seen).toEqual({ address: '127.0.0.1', seenBy: `relay 127.0.0.1:${s.port}`, routable: false })
  })

  it('a routable address named in brackets, as Gmail and Exchange write it, is passed on', async () => {
    const s = await server({ tls: 'starttls', serverOptions: { heloResponse: '%s at your service, [192.0.2.7]' } })
    let seen: OutgoingAddress | null | undefined
    await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' }, { groups: [relayChecks, reader((a) => (seen = a))] })
    expect(seen).toEqual({ address: '192.0.2.7', seenBy: `relay 127.0.0.1:${s.port}`, routable: true })
  })

  it('is null, not a guess, when the relay names none', async () => {
    const s = await server({ tls: 'starttls', serverOptions: { heloResponse: '%s at your service' } })
    let seen: OutgoingAddress | null | undefined
    await run({ relayPort: s.port, useTls: true, tlsMode: 'starttls' }, { groups: [relayChecks, reader((a) => (seen = a))] })
    expect(seen).toBeNull()
  })
})
