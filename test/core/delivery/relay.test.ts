import { afterEach, describe, expect, it } from 'vitest'
import { SMTPServer } from 'smtp-server'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { DeliveryProgress } from '../../../src/shared/types.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort, smtpError, startSilentServer, startSmtp, type TestSmtp, type TestSmtpOptions } from '../../helpers/smtp.ts'
import { selfSignedCert } from '../../helpers/tls.ts'
import { startWireTap, type WireTap } from '../../helpers/wire.ts'

// The engine against real SMTP servers on 127.0.0.1: what the server received,
// and what the queue and both logs say afterwards.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup(server: TestSmtp | { port: number; close(): Promise<void> }, settings: Parameters<typeof engineWith>[0], password?: string): Promise<CoreEngine> {
  cleanups.push(() => server.close())
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: server.port, ...settings }, password !== undefined ? { password } : {})
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return engine
}

async function queueEmpty(engine: CoreEngine): Promise<void> {
  await waitFor(() => engine.queueView.count() === 0, 'an empty queue')
}

async function settled(engine: CoreEngine, queueId: string): Promise<void> {
  await waitFor(() => {
    const log = engine.mailLog.forQueueId(queueId)
    return log.some((e) => e.status !== 'received') && engine.worker.activeCount === 0
  }, `an attempt on ${queueId}`)
}

describe('relay delivery', () => {
  it('sends through STARTTLS with AUTH PLAIN, verifying the certificate against the given CA', async () => {
    const server = await startSmtp({ tls: 'starttls', auth: { user: 'relayuser', pass: 's3cret pass' } })
    const engine = await setup(server, { relayHost: 'localhost', useTls: true, useSasl: true, username: 'relayuser', caPem: selfSignedCert().cert }, 's3cret pass')
    const progress: DeliveryProgress[] = []
    engine.on('delivery.progress', (p) => progress.push(p))
    const { queueId, messageId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)

    expect(server.received).toHaveLength(1)
    const got = server.received[0]!
    expect(got.from).toBe('alerts@example.test')
    expect(got.to).toEqual(['admin@example.net'])
    expect(got.user).toBe('relayuser')
    expect(got.secure).toBe(true)
    expect(got.ehlo).toBe('console.example.test')
    expect(got.raw).toMatch(/^From: Ops Console <alerts@example\.test>$/m)
    expect(got.raw).toContain(`Message-ID: ${messageId}`)
    // The body tells whoever receives it that SASL was used, never the account.
    expect(got.raw).toMatch(/^SASL: on$/m)
    expect(got.raw).not.toContain('relayuser')
    expect(messageId).toMatch(/@console\.example\.test>$/)

    const [sent] = engine.mailLog.forQueueId(queueId).filter((e) => e.status === 'sent')
    expect(sent).toMatchObject({ recipient: 'admin@example.net', relay: `localhost[127.0.0.1]:${server.port}`, dsn: '2.0.0' })
    expect(sent!.tls).toMatch(/^TLSv1\.[23]$/)
    expect(progress.map((p) => p.stage)).toEqual(['queued', 'connecting', 'connected', 'tls', 'authenticated', 'sending', 'sent'])

    const transcript = unwrap(await engine.call('mail.transcript', { queueId }))
    expect(transcript!.lines.some((l) => l.startsWith('C: STARTTLS'))).toBe(true)
    expect(transcript!.lines.join('\n')).not.toContain('s3cret pass')
    expect(transcript!.lines.join('\n')).not.toContain(Buffer.from('\0relayuser\0s3cret pass').toString('base64'))
  })

  it('authenticates with AUTH LOGIN when that is all the server offers', async () => {
    // smtp-server offers PLAIN and LOGIN by default; this one offers LOGIN only.
    const { SMTPServer } = await import('smtp-server')
    const received: string[] = []
    const login = new SMTPServer({
      key: selfSignedCert().key,
      cert: selfSignedCert().cert,
      authMethods: ['LOGIN'],
      logger: false,
      onAuth(auth, _s, cb) {
        received.push(`${auth.method}:${auth.username}`)
        cb(auth.password === 'p1' ? null : new Error('bad'), { user: auth.username })
      },
      onData(stream, _s, cb) {
        stream.resume()
        stream.on('end', () => cb())
      },
    })
    await new Promise<void>((r) => login.listen(0, '127.0.0.1', () => r()))
    const port = ((login as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port
    const engine = await setup({ port, close: () => new Promise<void>((r) => login.close(() => r())) }, { useTls: true, useSasl: true, username: 'u1', verifyCertificate: false }, 'p1')
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)
    expect(received).toEqual(['LOGIN:u1'])
  })

  it('sends over implicit TLS when the mode says so', async () => {
    const server = await startSmtp({ tls: 'implicit' })
    const engine = await setup(server, { useTls: true, tlsMode: 'implicit', caPem: selfSignedCert().cert, relayHost: 'localhost' })
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]!.secure).toBe(true)
  })

  it('defers on a self-signed certificate with verification on, and says to give the CA', async () => {
    const server = await startSmtp({ tls: 'starttls' })
    const engine = await setup(server, { useTls: true, relayHost: 'localhost' })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    expect(server.received).toHaveLength(0)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.attempts).toBe(1)
    expect(entry.explanation?.cause).toMatch(/self-signed/)
    expect(entry.explanation?.fix).toMatch(/CA certificate/)
    const log = engine.mailLog.forQueueId(queueId).find((e) => e.status === 'deferred')!
    expect(log.explanation?.cause).toBe(entry.explanation?.cause)

    // Given the certificate as CA, the same message goes out on retry.
    const current = unwrap(await engine.call('settings.get', undefined)).settings
    unwrap(await engine.call('settings.update', { settings: { ...current, caPem: selfSignedCert().cert } }))
    unwrap(await engine.call('queue.retry', { queueId }))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
  })

  it('defers on a wrong password and names the credentials as the cause', async () => {
    const server = await startSmtp({ tls: 'starttls', auth: { user: 'relayuser', pass: 'right' } })
    const engine = await setup(server, { useTls: true, verifyCertificate: false, useSasl: true, username: 'relayuser' }, 'wrong')
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.reason).toMatch(/535/)
    expect(entry.explanation?.fix).toMatch(/Password/)
    const events = unwrap(await engine.call('events.list', { limit: 50 })).items
    // A rejected password stops every delivery: an error, not a warning.
    expect(events.some((e) => e.level === 'error' && e.message.includes(queueId))).toBe(true)
    expect(JSON.stringify(events)).not.toContain('wrong"')
  })

  it('defers when the relay requires authentication that is not configured', async () => {
    const server = await startSmtp({ tls: 'starttls', auth: { user: 'x', pass: 'y' } })
    const engine = await setup(server, { useTls: true, verifyCertificate: false })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.reason).toMatch(/^530/)
    expect(entry.explanation?.fix).toMatch(/Use SASL Authorization/)
  })

  it('defers on 451, then delivers after Flush Queue', async () => {
    let refuse = true
    const server = await startSmtp({ tls: 'none', onRcpt: () => (refuse ? smtpError(451, '4.7.1 Greylisted, please try again later') : null) })
    const engine = await setup(server, {})
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.nextAttemptAt! - Date.now()).toBeGreaterThan(290_000)
    expect(entry.explanation?.cause).toMatch(/greylist/)
    refuse = false
    const { count } = unwrap(await engine.call('queue.flush', undefined))
    expect(count).toBe(1)
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
    const statuses = engine.mailLog.forQueueId(queueId).map((e) => e.status).reverse()
    expect(statuses).toEqual(['received', 'deferred', 'sent'])
  })

  it('a 451 at RCPT is explained by its words: greylisting, a rate limit, a policy, else the server\'s own trouble', async () => {
    const replies: Record<string, Error> = {
      'grey@example.net': smtpError(451, '4.7.1 Greylisted, please try again later'),
      'rate@example.net': smtpError(451, '4.7.0 Rate limit exceeded, slow down'),
      'policy@example.net': smtpError(451, '4.7.1 <policy@example.net>: Recipient address rejected: Service is unavailable'),
      'plain@example.net': smtpError(451, 'Temporary failure'),
    }
    const server = await startSmtp({ tls: 'none', onRcpt: (a) => replies[a] ?? null })
    const engine = await setup(server, {})
    const [submitted] = await engine.submit([{ to: [...Object.keys(replies), 'ok@example.net'], subject: 'five', text: 'x' }])
    const queueId = submitted!.queueId
    await settled(engine, queueId)
    const log = engine.mailLog.forQueueId(queueId)
    expect(log.find((e) => e.status === 'sent')?.recipient).toBe('ok@example.net')
    const causes = Object.fromEntries(log.filter((e) => e.status === 'deferred').map((e) => [e.recipient, e.explanation?.cause]))
    expect(causes).toEqual({
      'grey@example.net': 'greylisted',
      'rate@example.net': 'rate-limited',
      'policy@example.net': 'policy-deferred',
      'plain@example.net': 'server-temporary',
    })
    for (const e of log.filter((x) => x.status === 'deferred')) expect(e.explanation?.summary).not.toMatch(/^Delivery failed for now/)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry).toMatchObject({ state: 'deferred', recipientCount: 4 })
  })

  it('delivers to two of three recipients and bounces the one the server refuses', async () => {
    const server = await startSmtp({ tls: 'none', onRcpt: (a) => (a === 'nobody@example.net' ? smtpError(550, '5.1.1 <nobody@example.net>: Recipient address rejected: User unknown') : null) })
    const engine = await setup(server, {})
    const [submitted] = await engine.submit([{ to: ['a@example.net', 'nobody@example.net', 'b@example.org'], subject: 'three', text: 'x' }])
    const queueId = submitted!.queueId
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]!.to.sort()).toEqual(['a@example.net', 'b@example.org'])
    const log = engine.mailLog.forQueueId(queueId)
    expect(log.filter((e) => e.status === 'sent').map((e) => e.recipient).sort()).toEqual(['a@example.net', 'b@example.org'])
    const bounced = log.filter((e) => e.status === 'bounced')
    expect(bounced).toHaveLength(1)
    expect(bounced[0]).toMatchObject({ recipient: 'nobody@example.net', dsn: '5.1.1' })
  })

  it('defers when the server drops the connection during DATA, and sends on the next try', async () => {
    const server = await startSmtp({ tls: 'none', onData: (_raw, n) => (n === 1 ? 'disconnect' : null) })
    const engine = await setup(server, {})
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    expect(unwrap(await engine.call('queue.get', { queueId })).state).toBe('deferred')
    unwrap(await engine.call('queue.retry', { queueId }))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
  })

  it('gives up on a relay that accepts TCP and never greets after the greeting timeout, and says so', async () => {
    // Use TLS off, a port other than 465, a server that stays silent: the greeting timeout, not a TLS mismatch.
    const server = await startSilentServer()
    const engine = await setup(server, { greetingTimeoutSec: 1 })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation?.cause).toBe('greeting-timeout')
    expect(entry.explanation?.summary).toMatch(/did not send its SMTP greeting in time/)
    expect(entry.explanation?.fix).toMatch(/greeting timeout under Advanced/)
    const [deferred] = engine.mailLog.forQueueId(queueId).filter((e) => e.status === 'deferred')
    expect(deferred).toMatchObject({ explanation: { cause: 'greeting-timeout' }, dsn: '4.4.2' })
  })

  it('on a port that speaks implicit TLS with Use TLS off, says so, whatever the port number', async () => {
    const server = await startSmtp({ tls: 'implicit' })
    const engine = await setup(server, { greetingTimeoutSec: 1 })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.explanation?.cause).toBe('plain-to-implicit-tls')
    expect(entry.explanation?.summary).toMatch(/never sent its SMTP greeting/)
    expect(entry.explanation?.fix).toMatch(/^Turn on Use TLS with TLS mode Implicit TLS: Automatic picks it for Relay Port 465, on any other port choose it yourself/)
    expect(server.received).toHaveLength(0)
  })

  it('defers on connection refused with the host and port named', async () => {
    const port = await closedPort()
    const engine = await setup({ port, close: async () => undefined }, {})
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.explanation?.cause).toBe('connection-refused')
    expect(entry.reason).toMatch(/ECONNREFUSED|refused/i)
  })
})

describe('the password and the wire', () => {
  const USER = 'relayuser'
  const PASS = 's3cret pass'
  const PLAIN = Buffer.from(`\0${USER}\0${PASS}`).toString('base64')
  const LOGIN_USER = Buffer.from(USER).toString('base64')

  /** A real smtp-server behind a tap that keeps every byte the console sends. */
  async function tapped(options: TestSmtpOptions): Promise<{ server: TestSmtp; tap: WireTap }> {
    const server = await startSmtp(options)
    cleanups.push(() => server.close())
    const tap = await startWireTap(server.port)
    return { server, tap }
  }

  function expectNoCredentials(tap: WireTap): void {
    const wire = tap.clientText()
    expect(wire).not.toContain(PASS)
    expect(wire).not.toContain(PLAIN)
    expect(wire).not.toContain(LOGIN_USER)
  }

  it('with Use TLS off, upgrades to TLS when the relay offers STARTTLS, and logs in only after it', async () => {
    const { server, tap } = await tapped({ tls: 'starttls', auth: { user: USER, pass: PASS } })
    const engine = await setup(tap, { useTls: false, useSasl: true, username: USER, caPem: selfSignedCert().cert }, PASS)
    const progress: DeliveryProgress[] = []
    engine.on('delivery.progress', (p) => progress.push(p))
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)

    expect(server.received).toHaveLength(1)
    expect(server.received[0]).toMatchObject({ user: USER, secure: true })
    // On the wire: EHLO and STARTTLS readable, then only TLS records; no AUTH, no credentials, no envelope.
    const [opening] = tap.plaintext()
    expect(opening).toMatch(/^EHLO console\.example\.test\r\nSTARTTLS\r\n$/)
    const wire = tap.clientText()
    expect(wire).not.toMatch(/AUTH/i)
    expect(wire).not.toContain('MAIL FROM')
    expectNoCredentials(tap)

    const lines = unwrap(await engine.call('mail.transcript', { queueId }))!.lines
    const starttls = lines.findIndex((l) => l.startsWith('C: STARTTLS'))
    const auth = lines.findIndex((l) => l.startsWith('C: AUTH'))
    expect(starttls).toBeGreaterThanOrEqual(0)
    expect(auth).toBeGreaterThan(starttls)
    expect(lines.slice(starttls, auth).join('\n')).toMatch(/Use TLS is off.*STARTTLS.*upgraded/)
    expect(progress.find((p) => p.stage === 'tls')?.detail).toMatch(/STARTTLS/)
  })

  it('with Use TLS off and no Use SASL Authorization, still encrypts when STARTTLS is offered, unverified as opportunistic TLS is', async () => {
    const { server, tap } = await tapped({ tls: 'starttls' })
    // No CA given: the self-signed certificate would fail verification, which opportunistic TLS does not ask for.
    const engine = await setup(tap, { useTls: false })
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]!.secure).toBe(true)
    expect(tap.clientText()).not.toContain('MAIL FROM')
  })

  it('does not send the password over TLS it cannot verify: a self-signed relay defers, and no AUTH is sent', async () => {
    const { server, tap } = await tapped({ tls: 'starttls', auth: { user: USER, pass: PASS } })
    const engine = await setup(tap, { useTls: false, useSasl: true, username: USER }, PASS)
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation?.cause).toBe('cert-self-signed')
    expect(server.received).toHaveLength(0)
    expect(tap.clientText()).not.toMatch(/AUTH/i)
    expectNoCredentials(tap)
  })

  it('never authenticates with a relay that offers no STARTTLS: no AUTH at all, deferred with the cause and the settings to change', async () => {
    const { server, tap } = await tapped({ tls: 'none', auth: { user: USER, pass: PASS } })
    const engine = await setup(tap, { useTls: false, useSasl: true, username: USER }, PASS)
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await settled(engine, queueId)

    expect(tap.connections.length).toBeGreaterThanOrEqual(1)
    expect(tap.clientText()).toContain('EHLO console.example.test')
    expect(tap.clientText()).not.toMatch(/AUTH/i)
    expect(tap.clientText()).not.toContain('MAIL FROM')
    expectNoCredentials(tap)
    expect(server.received).toHaveLength(0)

    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation?.cause).toBe('auth-tls-unavailable')
    expect(entry.explanation?.summary).toMatch(/STARTTLS/)
    expect(entry.explanation?.fix).toMatch(/Use TLS/)
    expect(entry.explanation?.fix).toMatch(/Use SASL Authorization/)
    expect(entry.explanation?.fix).toMatch(/Allow password without TLS \(unsafe\)/)
    const deferred = engine.mailLog.forQueueId(queueId).find((e) => e.status === 'deferred')!
    expect(deferred.explanation?.cause).toBe('auth-tls-unavailable')
    const lines = unwrap(await engine.call('mail.transcript', { queueId }))!.lines
    expect(lines.join('\n')).toMatch(/no STARTTLS/)

    // Pooled sessions (mail nobody watches) hold to the same rule.
    const [submitted] = await engine.submit([{ to: ['ops@example.net'], subject: 'pooled', text: 'x' }])
    await settled(engine, submitted!.queueId)
    expect(unwrap(await engine.call('queue.get', { queueId: submitted!.queueId })).explanation?.cause).toBe('auth-tls-unavailable')
    expect(tap.clientText()).not.toMatch(/AUTH/i)
  })

  it('falls back to plaintext, as Postfix does, when an offered STARTTLS fails its handshake and no password is at stake', async () => {
    // A relay that offers STARTTLS but speaks only TLS 1.1 or older: the console asks for 1.2 at least.
    const { SMTPServer } = await import('smtp-server')
    const received: { secure: boolean }[] = []
    const old = new SMTPServer({
      key: selfSignedCert().key,
      cert: selfSignedCert().cert,
      maxVersion: 'TLSv1.1',
      disabledCommands: ['AUTH'],
      logger: false,
      onData(stream, session, cb) {
        stream.resume()
        stream.on('end', () => {
          received.push({ secure: session.secure })
          cb()
        })
      },
    })
    old.on('error', () => undefined)
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', () => r()))
    const port = ((old as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port
    const engine = await setup({ port, close: () => new Promise<void>((r) => old.close(() => r())) }, { useTls: false })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)
    expect(received).toEqual([{ secure: false }])
    const lines = unwrap(await engine.call('mail.transcript', { queueId }))!.lines
    expect(lines.join('\n')).toMatch(/handshake failed.*again without TLS/)
  })

  it('with Allow password without TLS (unsafe) on, logs in without TLS where no STARTTLS is offered', async () => {
    const { server, tap } = await tapped({ tls: 'none', auth: { user: USER, pass: PASS } })
    const engine = await setup(tap, { useTls: false, useSasl: true, username: USER, allowPlainAuth: true }, PASS)
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]).toMatchObject({ user: USER, secure: false })
    // In clear, as the switch says: anyone on the path reads the login.
    expect(tap.clientText()).toContain(`AUTH PLAIN ${PLAIN}`)
    const lines = unwrap(await engine.call('mail.transcript', { queueId }))!.lines
    expect(lines.join('\n')).toMatch(/Allow password without TLS \(unsafe\) is on/)
  })
})

describe('addresses nodemailer will not send', () => {
  const BAD = '"a> RCPT TO:<x@y>"@example.net'

  it('are refused at submit, under to, and nothing is queued', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await setup(server, {})
    const error = await engine.submit([{ to: [BAD], subject: 's', text: 'x' }]).then(() => null, (err: unknown) => err)
    expect((error as { fields?: Record<string, string> }).fields).toHaveProperty('to')
    expect(engine.queueView.count()).toBe(0)
  })

  it('already in the queue (an old database), bounce at once with a decoded cause, and the other recipients are delivered', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await setup(server, {})
    // Straight into the queue, past today's checks, as an older version could have stored it.
    const raw = Buffer.from('From: a@example.test\r\nTo: ops@example.net\r\nSubject: old\r\n\r\nx\r\n')
    const [queueId] = engine.queue.submit([{ sender: 'alerts@example.test', subject: 'old', messageId: '<old@example.test>', raw, recipients: [BAD, 'ops@example.net'], isTest: false }])
    engine.worker.wake()
    await queueEmpty(engine)

    expect(server.received).toHaveLength(1)
    expect(server.received[0]!.to).toEqual(['ops@example.net'])
    const log = engine.mailLog.forQueueId(queueId!)
    expect(log.filter((e) => e.status === 'deferred')).toEqual([])
    const bounced = log.filter((e) => e.status === 'bounced')
    expect(bounced).toHaveLength(1)
    expect(bounced[0]).toMatchObject({ recipient: BAD, dsn: '5.1.3' })
    expect(bounced[0]!.explanation?.cause).toBe('address-unsendable')
    expect(bounced[0]!.explanation?.fix).toMatch(/not be retried/)
    expect(log.find((e) => e.status === 'sent')?.recipient).toBe('ops@example.net')
  })

  it('as the sender of a queued message, bounce every recipient at once instead of retrying for days', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await setup(server, {})
    const raw = Buffer.from('From: a@example.test\r\nSubject: old\r\n\r\nx\r\n')
    const [queueId] = engine.queue.submit([{ sender: '"x>"@example.test', subject: 'old', messageId: '<old2@example.test>', raw, recipients: ['ops@example.net', 'dev@example.net'], isTest: false }])
    engine.worker.wake()
    await queueEmpty(engine)
    expect(server.received).toHaveLength(0)
    const bounced = engine.mailLog.forQueueId(queueId!).filter((e) => e.status === 'bounced')
    expect(bounced.map((e) => e.recipient).sort()).toEqual(['dev@example.net', 'ops@example.net'])
    expect(bounced.every((e) => e.explanation?.cause === 'address-unsendable')).toBe(true)
  })
})

describe('composition', () => {
  it('stores the message with CRLF line ends, so the logged size is the size on the wire', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await setup(server, {})
    const [submitted] = await engine.submit([{ to: ['admin@example.net'], subject: 'lines', text: 'one\ntwo\nthree' }])
    const { source } = unwrap(await engine.call('queue.source', { queueId: submitted!.queueId }))
    expect(source).toContain('one\r\ntwo\r\nthree')
    expect(source.replace(/\r\n/g, '')).not.toContain('\n')
    await queueEmpty(engine)
    const sent = engine.mailLog.forQueueId(submitted!.queueId).find((e) => e.status === 'sent')!
    // The server sees the DATA without the final "." line and its dot-stuffing; nothing was added on the way.
    expect(Buffer.byteLength(server.received[0]!.raw)).toBe(sent.size)
  })
})

/**
 * A relay whose answer to the end of DATA the test controls: `onMessage` is
 * called when the whole message has arrived, with `answer` to send the 250.
 */
async function answeringRelay(onMessage: (answer: () => void) => void): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = []
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, cb) {
      stream.resume()
      stream.on('end', () =>
        onMessage(() => {
          received.push(session.envelope.rcptTo.map((r) => r.address).join(','))
          cb(null, 'Ok: queued as 4F2A1C')
        }),
      )
    },
  })
  server.on('error', () => undefined)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = ((server as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('deliveries in flight', () => {
  it.each([
    ['a test email (its own session)', true],
    ['a queued message (a pooled session)', false],
  ])('Delete Queue right after the relay answered 250 to DATA logs %s as sent, not deleted', async (_what, isTest) => {
    let engine: CoreEngine | null = null
    let deleted: Promise<unknown> | null = null
    // The 250 is written, and Delete Queue comes in the same turn, before the console has read it.
    const relay = await answeringRelay((answer) => {
      answer()
      deleted = engine!.call('queue.deleteAll', undefined)
    })
    engine = await setup(relay, {})
    const queueId = isTest
      ? unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' })).queueId
      : (await engine.submit([{ to: ['admin@example.net'], subject: 'alert', text: 'x' }]))[0]!.queueId
    await waitFor(() => deleted, 'the relay to answer 250')
    expect(unwrap((await deleted!) as never)).toEqual({ count: 1 })
    await waitFor(() => engine.worker.activeCount === 0, 'the delivery to be recorded')
    expect(relay.received).toEqual(['admin@example.net'])
    const log = engine.mailLog.forQueueId(queueId)
    expect(log.map((e) => e.status).reverse()).toEqual(['received', 'sent'])
    expect(log[0]).toMatchObject({ recipient: 'admin@example.net', status: 'sent', reply: expect.stringContaining('Ok: queued as 4F2A1C') })
    expect(engine.queueView.count()).toBe(0)
    expect(unwrap(await engine.call('mailLog.list', { limit: 10, status: 'deleted' })).total).toBe(0)
  })

  it('Delete while the relay holds its answer to the final dot, then answers 250: sent', async () => {
    let answer: (() => void) | null = null
    const relay = await answeringRelay((a) => (answer = a))
    const engine = await setup(relay, {})
    const [submitted] = await engine.submit([{ to: ['admin@example.net'], subject: 'alert', text: 'x' }])
    const queueId = submitted!.queueId
    await waitFor(() => answer, 'the whole message at the relay')
    unwrap(await engine.call('queue.delete', { queueId }))
    expect(engine.queueView.count()).toBe(0)
    answer!()
    await waitFor(() => engine.worker.activeCount === 0, 'the delivery to be recorded')
    expect(engine.mailLog.forQueueId(queueId).map((e) => e.status).reverse()).toEqual(['received', 'sent'])
  })

  it('Delete stops at once a delivery that has not handed the whole message over, and logs it deleted', async () => {
    // The relay never answers RCPT: the message has not been sent yet.
    let held = false
    const stall = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onRcptTo() {
        held = true
      },
    })
    stall.on('error', () => undefined)
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()))
    const port = ((stall as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port
    const engine = await setup({ port, close: () => new Promise<void>((r) => stall.close(() => r())) }, {})
    const [submitted] = await engine.submit([{ to: ['slow@example.net'], subject: 'slow', text: 'x' }])
    const queueId = submitted!.queueId
    await waitFor(() => held, 'the relay to hold RCPT')
    unwrap(await engine.call('queue.delete', { queueId }))
    // Settling before the 60 s socket timeout can only be the abort.
    await waitFor(() => engine.worker.activeCount === 0, 'the aborted delivery to settle', 15_000)
    const log = engine.mailLog.forQueueId(queueId)
    expect(log.map((e) => e.status).reverse()).toEqual(['received', 'deleted'])
    expect(log[0]!.reply).toBe('deleted by the administrator; its delivery was stopped before the server had all of it')
    expect(engine.queueView.count()).toBe(0)
  })

  it('Delete lets a relay that has the whole message answer for 5 s, then stops and says it may still deliver it', async () => {
    // The server would answer DATA only after a minute: settling before that can only be the abort.
    const server = await startSmtp({ tls: 'none', dataDelayMs: 60_000 })
    const engine = await setup(server, {})
    const [submitted] = await engine.submit([{ to: ['slow@example.net'], subject: 'slow', text: 'x' }])
    const queueId = submitted!.queueId
    await waitFor(() => engine.worker.activeCount === 1, 'the delivery to start')
    await new Promise((r) => setTimeout(r, 300))
    unwrap(await engine.call('queue.delete', { queueId }))
    expect(engine.queueView.count()).toBe(0)
    await waitFor(() => engine.worker.activeCount === 0, 'the stopped delivery to settle', 20_000)
    expect(server.received).toHaveLength(0)
    const log = engine.mailLog.forQueueId(queueId)
    expect(log.map((e) => e.status).reverse()).toEqual(['received', 'deleted'])
    expect(log[0]!.reply).toMatch(/^deleted by the administrator; stopped after the whole message was sent, before the server answered: it may still deliver it$/)
  }, 30_000)

  it('close() does not wait on a slow server beyond its grace: the message stays queued for next time', async () => {
    const server = await startSmtp({ tls: 'none', dataDelayMs: 60_000 })
    cleanups.push(() => server.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: server.port })
    const dataDir = engine.dataDir
    cleanups.push(() => removeDir(dataDir))
    await engine.submit([{ to: ['slow@example.net'], subject: 'slow', text: 'x' }])
    await waitFor(() => engine.worker.activeCount === 1, 'the delivery to start')
    // A grace of 5 s, then the abort settles the delivery: close returns long before the server would answer.
    const closed = await Promise.race([engine.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 30_000))])
    expect(closed).toBe('closed')
    const again = await openEngine({ dataDir, startWorker: false })
    cleanups.push(() => again.close())
    // Stopped by us, not refused by the server: no attempt counted, due again at once.
    const [entry] = again.queueView.list({ limit: 5 }).items
    expect(entry).toMatchObject({ state: 'queued', attempts: 0 })
    expect(entry!.nextAttemptAt!).toBeLessThanOrEqual(Date.now())
  })
})

describe('the relay session pool', () => {
  it('reuses a session for mail in a row, and lets it go after 2 s unused instead of sending into a dropped one', async () => {
    const server = await startSmtp({ tls: 'none' })
    const engine = await setup(server, { concurrency: 1 })
    await engine.submit(Array.from({ length: 5 }, (_, i) => ({ to: [`row${i}@example.net`], subject: `row ${i}`, text: 'x' })))
    await queueEmpty(engine)
    expect(server.received).toHaveLength(5)
    expect(server.connections.opened).toBe(1)
    // Unused past the idle limit, the session is closed by us, not left for the relay to drop.
    await waitFor(() => server.connections.closed === 1, 'the idle session to be closed', 10_000)
    await engine.submit([{ to: ['later@example.net'], subject: 'later', text: 'x' }])
    await queueEmpty(engine)
    expect(server.connections.opened).toBe(2)
    expect(server.received).toHaveLength(6)
  })
})
