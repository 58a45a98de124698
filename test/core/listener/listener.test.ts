import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect, type PeerCertificate } from 'node:tls'
import { promisify } from 'node:util'
import { createTransport } from 'nodemailer'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { EngineOptions } from '../../../src/main/core/engine/engine-types.ts'
import { selfSigned } from '../../../src/main/core/listener/certificate.ts'
import { engineWith, removeDir, tempDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { smtpDialog } from '../../helpers/smtp-client.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'
import { startDns } from '../../helpers/dns.ts'
import { verifyDkim } from '../../helpers/dkim.ts'

// Local submission against real clients: swaks over STARTTLS with AUTH,
// nodemailer, a raw socket for the exact replies; the relay a real
// smtp-server on loopback. Every test runs twice: with the sessions on the
// listener's own thread (as the console runs them) and in the engine's
// thread (where they run when that thread cannot start).

const run = promisify(execFile)
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function relay(): Promise<TestSmtp> {
  const smtp = await startSmtp({ tls: 'none' })
  cleanups.push(() => smtp.close())
  return smtp
}

/** The certificate the listener offers after STARTTLS. */
async function starttlsCertificate(port: number): Promise<PeerCertificate> {
  const c = await smtpDialog(port)
  cleanups.push(() => c.close())
  expect(await c.send('EHLO client.example.test')).toMatch(/\n250[- ]STARTTLS/)
  expect(await c.send('STARTTLS')).toMatch(/^220 /)
  const secure = tlsConnect({ socket: c.release(), rejectUnauthorized: false })
  cleanups.push(() => {
    secure.destroy()
  })
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject))
  return secure.getPeerCertificate()
}

/** Whether this machine has ::1, where the listener also listens by default. */
const HAS_IPV6_LOOPBACK = await new Promise<boolean>((resolve) => {
  const probe = createServer()
  probe.once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

/** Where the sessions of the tests under way run: false, the engine's thread; undefined, the listener's own. */
let sessionsIn: false | undefined

async function console_(relayPort: number | null, listen: Partial<SettingsFields>, options: Partial<EngineOptions> & { listenPassword?: string } = {}): Promise<CoreEngine> {
  const port = listen.listenPort ?? (await freePort())
  const settings = { ...(relayPort ? { relayHost: '127.0.0.1', relayPort } : {}), listenEnabled: true, listenPort: port, ...listen }
  const listener = { ...options.listener, ...(sessionsIn === false ? { thread: false as const } : {}) }
  const engine = await engineWith({ ...settings, listenEnabled: false, listenRequireAuth: false }, { ...options, listener })
  cleanups.push(() => removeDir(engine.dataDir))
  cleanups.push(() => engine.close())
  unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), ...settings }, ...(options.listenPassword !== undefined ? { listenPassword: options.listenPassword } : {}) }))
  await waitFor(() => engine.status().listener?.state !== 'off', 'the listener to start')
  expect(engine.listener.runsIn).toBe(sessionsIn === false ? 'engine' : 'thread')
  return engine
}

const portOf = (engine: CoreEngine) => engine.settings.get().listenPort

describe.each([
  ['its own thread', undefined],
  ["the engine's thread", false],
] as const)('local submission, sessions in %s', (_where, thread) => {
  beforeEach(() => {
    sessionsIn = thread
  })

  it('takes a message from swaks with AUTH over STARTTLS and the relay gets it whole, with a Received: header on top', async () => {
    const smtp = await relay()
    const engine = await console_(smtp.port, { listenRequireAuth: true, listenUsername: 'cron', listenStarttls: true }, { listenPassword: 'pw-1234' })
    const listener = engine.status().listener
    expect(listener).toMatchObject({ state: 'listening', auth: true, starttls: true })
    const { stdout } = await run('swaks', [
      '--server', `127.0.0.1:${portOf(engine)}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'cron', '--auth-password', 'pw-1234',
      '--helo', 'backup.example.test', '--from', 'backup@example.test', '--to', 'ops@example.net',
      '--header', 'Subject: Nightly backup done', '--header', 'X-Job: nightly-42', '--body', 'All 12 volumes copied.',
    ], { timeout: 20_000 })
    expect(stdout).toMatch(/<~ +250 2\.0\.0 Ok: queued as [0-9A-F]{12}/)
    const queueId = /queued as ([0-9A-F]{12})/.exec(stdout)![1]!
    await waitFor(() => smtp.received.length === 1, 'the relay to get the message')
    const got = smtp.received[0]!
    expect(got.from).toBe('backup@example.test')
    expect(got.to).toEqual(['ops@example.net'])
    expect(got.raw.startsWith('Received: from backup.example.test ([127.0.0.1])\r\n\tby console.example.test (SMTP Console) with ESMTPSA\r\n\tfor <ops@example.net>;')).toBe(true)
    expect(got.raw).toContain('\r\nSubject: Nightly backup done\r\n')
    expect(got.raw).toContain('\r\nX-Job: nightly-42\r\n')
    expect(got.raw).toContain('\r\n\r\nAll 12 volumes copied.')
    // swaks's own headers are kept as it wrote them: its Message-Id is not replaced.
    expect(got.raw).toMatch(/\r\nMessage-Id: <[^>]+>\r\n/)
    expect(got.raw.match(/^Message-ID:/gim)).toHaveLength(1)

    // The relay has the message as soon as it answers 250; the console logs `sent` once that answer reaches it.
    const log = await waitFor(async () => {
      const items = unwrap(await engine.call('mailLog.list', { limit: 10, text: queueId })).items
      return items.some((r) => r.status === 'sent') ? items : undefined
    }, 'the sent row in the Mail Log')
    const received = log.find((r) => r.status === 'received')!
    expect(received.relay).toMatch(/^\[127\.0\.0\.1\]:\d+$/)
    expect(received.reply).toMatch(/^client=\[127\.0\.0\.1\]:\d+, sasl_username=cron, helo=backup\.example\.test$/)
    expect(engine.status().listener).toMatchObject({ state: 'listening', receivedToday: 1 })
  })

  it('counts each message once in received today across a restart, however soon the dashboard asks', async () => {
    const engine = await console_(null, {})
    const nodemailer = (subject: string) =>
      createTransport({ host: '127.0.0.1', port: portOf(engine), secure: false, ignoreTLS: true }).sendMail({ from: 'cron@example.test', to: 'ops@example.net', subject, text: 'hello' })
    await nodemailer('before the restart')
    // A listener field changes: it listens again and reads the day's count from the mail log afresh.
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), hostname: 'other.example.test' } }))
    await waitFor(() => engine.status().listener?.state === 'listening', 'the listener to listen again')
    // The dashboard asks while the next message is committed and its fsync has not ended: the worst moment.
    const commit = engine.listenerCommit as unknown as { options: { sync(): Promise<void> } }
    const sync = commit.options.sync
    const seen: unknown[] = []
    commit.options.sync = () => {
      seen.push(engine.status().listener)
      return sync()
    }
    await nodemailer('after the restart')
    commit.options.sync = sync
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ state: 'listening', receivedToday: 2 })
    expect(engine.status().listener).toMatchObject({ state: 'listening', receivedToday: 2 })
  })

  it('answers 552 for an oversize message at SIZE= and at the end of DATA, and queues nothing', async () => {
    const engine = await console_(null, { maxMessageSizeBytes: 2048 })
    const c = await smtpDialog(portOf(engine))
    cleanups.push(() => c.close())
    expect(await c.send('EHLO client.example.test')).toMatch(/\n250[- ]SIZE 2048/)
    expect(await c.send('MAIL FROM:<a@example.test> SIZE=5000')).toMatch(/^552 /)
    expect(await c.send('MAIL FROM:<a@example.test>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<b@example.net>')).toMatch(/^250 /)
    expect(await c.send('DATA')).toMatch(/^354 /)
    expect(await c.sendRaw(`Subject: big\r\n\r\n${'x'.repeat(70).concat('\r\n').repeat(60)}.\r\n`)).toMatch(/^552 /)
    expect(engine.queueView.count()).toBe(0)
    expect(engine.mailLog.count('received')).toBe(0)
  })

  it('answers 452 4.3.1 when the queue’s disk is full, keeps nothing of the message, and takes it once there is room', async () => {
    const engine = await console_(null, {})
    // SQLite's own limit on the file's size: past it, a write fails with SQLITE_FULL as on a full disk.
    const pages = (engine.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count
    engine.db.exec(`PRAGMA max_page_count = ${pages + 2}`)
    const body = `Subject: nightly dump\r\n\r\n${'y'.repeat(76).concat('\r\n').repeat(800)}.\r\n`
    const c = await smtpDialog(portOf(engine))
    cleanups.push(() => c.close())
    expect(await c.send('EHLO client.example.test')).toMatch(/^250/)
    expect(await c.send('MAIL FROM:<backup@example.test>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<ops@example.net>')).toMatch(/^250 /)
    expect(await c.send('DATA')).toMatch(/^354 /)
    expect(await c.sendRaw(body)).toMatch(/^452 4\.3\.1 /)
    expect(engine.queueView.count()).toBe(0)
    expect(engine.mailLog.count('received')).toBe(0)
    expect((engine.db.prepare('SELECT count(*) AS n FROM message_bodies').get() as { n: number }).n).toBe(0)

    engine.db.exec('PRAGMA max_page_count = 1073741823')
    expect(await c.send('MAIL FROM:<backup@example.test>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<ops@example.net>')).toMatch(/^250 /)
    expect(await c.send('DATA')).toMatch(/^354 /)
    expect(await c.sendRaw(body)).toMatch(/^250 2\.0\.0 Ok: queued as /)
    expect(engine.queueView.count()).toBe(1)
  })

  it('answers 530 without AUTH when it is required, 535 for a wrong password, 501 for bad addresses, 452 past the recipient limit', async () => {
    const engine = await console_(null, { listenRequireAuth: true, listenUsername: 'cron' }, { listenPassword: 'right', listener: { limits: { maxRecipients: 2 } } })
    const c = await smtpDialog(portOf(engine))
    cleanups.push(() => c.close())
    await c.send('EHLO client.example.test')
    expect(await c.send('MAIL FROM:<a@example.test>')).toMatch(/^530 /)
    expect(await c.send(`AUTH PLAIN ${Buffer.from('\0cron\0wrong').toString('base64')}`)).toMatch(/^535 5\.7\.8/)
    expect(await c.send(`AUTH PLAIN ${Buffer.from('\0cron\0right').toString('base64')}`)).toMatch(/^235 /)
    expect(await c.send('MAIL FROM:<a b@example.test>')).toMatch(/^501 /)
    expect(await c.send('MAIL FROM:<a@example.test>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<nobody@localhost>')).toMatch(/^501 5\.1\.3/)
    expect(await c.send('RCPT TO:<one@example.net>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<two@example.net>')).toMatch(/^250 /)
    expect(await c.send('RCPT TO:<three@example.net>')).toMatch(/^452 4\.5\.3/)
    expect(await c.send('FROB')).toMatch(/^5\d\d /)
    // Malformed commands: 501, and the session goes on.
    expect(await c.send('RSET')).toMatch(/^250 /)
    expect(await c.send('MAIL FROM:a@example.test')).toMatch(/^501 /)
    expect(await c.send('MAIL TO:<a@example.test>')).toMatch(/^501 /)
    expect(await c.send('EHLO')).toMatch(/^501 /)
    expect(await c.send('NOOP')).toMatch(/^250 /)
  })

  it('offers the certificate given in Edit Settings with STARTTLS, and says so when it cannot be read', async () => {
    const dir = tempDir('smtp-console-cert-')
    cleanups.push(() => removeDir(dir))
    const given = selfSigned('mx.example.test')
    writeFileSync(join(dir, 'cert.pem'), given.cert)
    writeFileSync(join(dir, 'key.pem'), given.key, { mode: 0o600 })
    const engine = await console_(null, { listenStarttls: true, listenCertFile: join(dir, 'cert.pem'), listenKeyFile: join(dir, 'key.pem') })
    const offered = await starttlsCertificate(portOf(engine))
    expect(offered.fingerprint256).toBe(new X509Certificate(given.cert).fingerprint256)
    // The console made none of its own.
    expect(existsSync(join(engine.dataDir, 'listener-key.pem'))).toBe(false)

    // A file it cannot read: the listener stays off with the reason, on the dashboard and in the log.
    rmSync(join(dir, 'cert.pem'))
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), hostname: 'again.example.test' } }))
    const status = await waitFor(() => (engine.status().listener?.state === 'error' ? engine.status().listener : undefined), 'the error state')
    expect(status).toEqual({ state: 'error', message: expect.stringContaining('the STARTTLS certificate cannot be read') })
    expect((status as { message: string }).message).toMatch(/Check .+ and .+ in Edit Settings → Advanced\.$/)
    const events = unwrap(await engine.call('events.list', { limit: 20, level: 'error' })).items
    expect(events.some((e) => e.source === 'listener' && e.message.includes('cannot be read'))).toBe(true)
  })

  it('makes its own certificate for STARTTLS when none is given, its key readable by the owner only', async () => {
    const engine = await console_(null, { listenStarttls: true })
    const offered = await starttlsCertificate(portOf(engine))
    const made = readFileSync(join(engine.dataDir, 'listener-cert.pem'), 'utf8')
    expect(offered.fingerprint256).toBe(new X509Certificate(made).fingerprint256)
    expect(offered.subjectaltname).toContain('IP Address:127.0.0.1')
    expect(statSync(join(engine.dataDir, 'listener-key.pem')).mode & 0o777).toBe(0o600)
  })

  it('answers 421 past the connections and the messages per connection it allows, counting ::1 and 127.0.0.1 together', async () => {
    const engine = await console_(null, {}, { listener: { limits: { maxConnections: 2, maxMessagesPerConnection: 2 } } })
    const port = portOf(engine)
    expect(engine.status().listener).toMatchObject({ addresses: HAS_IPV6_LOOPBACK ? [`127.0.0.1:${port}`, `[::1]:${port}`] : [`127.0.0.1:${port}`] })
    const other = HAS_IPV6_LOOPBACK ? '::1' : '127.0.0.1'
    const a = await smtpDialog(port)
    const b = await smtpDialog(port, other)
    const c = await smtpDialog(port)
    const d = await smtpDialog(port, other)
    cleanups.push(() => [a, b, c, d].forEach((x) => x.close()))
    expect(a.greeting).toMatch(/^220 /)
    expect(b.greeting).toMatch(/^220 /)
    expect(c.greeting).toMatch(/^421 /)
    expect(d.greeting).toMatch(/^421 /)
    await c.closed
    await d.closed
    await a.send('EHLO client.example.test')
    for (let i = 0; i < 2; i++) {
      expect(await a.send('MAIL FROM:<a@example.test>')).toMatch(/^250 /)
      expect(await a.send('RCPT TO:<b@example.net>')).toMatch(/^250 /)
      expect(await a.send('DATA')).toMatch(/^354 /)
      expect(await a.sendRaw(`Subject: ${i}\r\n\r\nhello\r\n.\r\n`)).toMatch(/^250 2\.0\.0 Ok: queued as/)
    }
    expect(await a.send('MAIL FROM:<a@example.test>')).toMatch(/^421 4\.7\.0/)
    await a.closed
    expect(engine.queueView.count()).toBe(2)
    b.close()
  })

  it('reports an address this machine does not have on the dashboard, with what to change', async () => {
    // Off loopback, the schema asks for AUTH and STARTTLS first; 192.0.2.1 (TEST-NET-1) is nobody's.
    const engine = await console_(null, { listenAddress: '192.0.2.1', listenRequireAuth: true, listenUsername: 'cron', listenStarttls: true }, { listenPassword: 'pw-5678' })
    const status = unwrap(await engine.call('status.get', undefined))
    expect(status.listener).toEqual({ state: 'error', message: expect.stringContaining('cannot listen on 192.0.2.1:') })
    expect((status.listener as { message: string }).message).toContain('this machine has no such address (EADDRNOTAVAIL)')
  })

  it('reports a port in use on the dashboard and in the event log, and the rest keeps working', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()))
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())))
    const port = (taken.address() as { port: number }).port
    const engine = await console_(null, { listenPort: port })
    const status = unwrap(await engine.call('status.get', undefined))
    expect(status.listener).toEqual({ state: 'error', message: expect.stringContaining(`cannot listen on 127.0.0.1:${port}: the port is in use by another program (EADDRINUSE)`) })
    const events = unwrap(await engine.call('events.list', { limit: 20, level: 'error' })).items
    expect(events.some((e) => e.source === 'listener' && e.message.includes('EADDRINUSE'))).toBe(true)
    // The console still queues mail through the API.
    unwrap(await engine.call('mail.sendTest', { to: 'ops@example.net' }))
    expect(engine.queueView.count()).toBe(1)
  })

  it('20 concurrent clients × 50 messages: 1,000 delivered, none lost, none twice', async () => {
    const smtp = await relay()
    const engine = await console_(smtp.port, {})
    const port = portOf(engine)
    const sent = new Set<string>()
    await Promise.all(
      Array.from({ length: 20 }, async (_, client) => {
        const t = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity })
        try {
          for (let i = 0; i < 50; i++) {
            const id = `<c${client}-m${i}@clients.example.test>`
            const info = await t.sendMail({ from: `client${client}@example.test`, to: `ops${i % 7}@example.net`, subject: `client ${client} message ${i}`, text: 'status ok', messageId: id })
            expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as/)
            sent.add(id)
          }
        } finally {
          t.close()
        }
      }),
    )
    expect(sent.size).toBe(1000)
    await waitFor(() => smtp.received.length >= 1000 && engine.queueView.count() === 0, 'every message delivered', 60_000)
    const ids = smtp.received.map((r) => /^Message-ID: (<[^>]+>)/im.exec(r.raw)?.[1])
    expect(ids).toHaveLength(1000)
    expect(new Set(ids)).toEqual(sent)
    expect(engine.mailLog.count('received')).toBe(1000)
    expect(engine.mailLog.count('sent')).toBe(1000)
  }, 90_000)

  it('signs with DKIM what it takes From the signing domain, as the API’s messages are, and leaves other domains’ mail as it came', async () => {
    const smtp = await relay()
    const engine = await console_(smtp.port, {})
    const { keyId } = unwrap(await engine.call('dkim.generateKey', { algorithm: 'ed25519' }))
    const view = unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), dkimEnabled: true, dkimSelector: 'sel1' }, dkimKey: { generated: keyId } }))
    const record = view.dkim.record!
    const dns = await startDns({ [record.name]: { TXT: [record.value] } })
    cleanups.push(() => dns.close())
    const t = createTransport({ host: '127.0.0.1', port: portOf(engine), secure: false, ignoreTLS: true })
    cleanups.push(() => t.close())
    await t.sendMail({ from: 'Backup <backup@example.test>', to: 'ops@example.net', subject: 'Nightly backup done', text: 'All 12 volumes copied.' })
    await t.sendMail({ from: 'cron@other.example.org', to: 'ops@example.net', subject: 'Not ours to sign', text: 'x' })
    await waitFor(() => smtp.received.length === 2, 'both messages at the relay')
    const ours = smtp.received.find((r) => r.raw.includes('Nightly backup done'))!
    const theirs = smtp.received.find((r) => r.raw.includes('Not ours to sign'))!
    expect(ours.raw.startsWith('DKIM-Signature: ')).toBe(true)
    const verdicts = await verifyDkim(ours.raw, dns.server)
    expect(verdicts).toMatchObject([{ result: 'pass', domain: 'example.test', selector: 'sel1', algorithm: 'ed25519-sha256' }])
    // The Received: header added here is signed over only where listed; From and Subject are.
    expect(verdicts[0]!.signedFields).toEqual(expect.arrayContaining(['from', 'subject', 'date', 'message-id', 'to']))
    expect(theirs.raw).not.toMatch(/^DKIM-Signature:/im)
  })
})
