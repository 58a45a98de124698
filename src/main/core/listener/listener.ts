import { addressDomain } from '../../../shared/dkim.ts'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { SMTPServer, SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import { isLoopback, isMailbox, type SettingsFields } from '../../../shared/settings.ts'
import type { ListenerStatus } from '../../../shared/types.ts'
import type { NewMessage } from '../queue/queue.ts'
import { listenerCertificate } from './certificate.ts'
import { PromptSMTPServer } from './prompt-server.ts'
import type { GroupCommit } from './group-commit.ts'
import { headerBlock, headerValue, receivedHeader, rfc5322Date } from './received-header.ts'

// Local submission: an SMTP server (smtp-server) for the system's own mail.
// A message gets its 250 only once it is durable in the queue, committed by
// the group commit in the same transaction as the API's submit. Bounded:
// connections, messages per connection, recipients per message, size.

export interface ListenerLimits {
  /** Connections at once; past them a client gets 421 (as Postfix's default process limit, 100). */
  maxConnections: number
  /** Messages in one connection; the next MAIL gets 421 and the connection closes. */
  maxMessagesPerConnection: number
  /** Recipients of one message; the next RCPT gets 452 (as Postfix's smtpd_recipient_limit, 1000). */
  maxRecipients: number
  /** An idle client is dropped after this (ms). */
  socketTimeoutMs: number
}

export const DEFAULT_LIMITS: ListenerLimits = { maxConnections: 100, maxMessagesPerConnection: 10_000, maxRecipients: 1000, socketTimeoutMs: 60_000 }

export interface ListenerParts {
  dataDir: string
  settings(): SettingsFields
  password(): Promise<string | null>
  commit: GroupCommit
  /** Messages taken from clients today, from the mail log (at start and at midnight). */
  countSince(at: number): number
  /** Whether an error is a full disk (452 4.3.1) or another trouble of the disk (451). */
  storageTrouble(err: unknown): 'full' | 'other' | null
  logEvent(level: 'info' | 'warning' | 'error', message: string, details?: Record<string, unknown>): void
  /** The state changed (listening, failed, stopped): the dashboard reads it again. */
  changed(): void
  now(): number
  limits?: Partial<ListenerLimits>
  /**
   * Signs a message with the DKIM key when Sign with DKIM is on and its From domain is the signing
   * domain or under it, as the API's messages are; the message as given otherwise. Throws when a key
   * cannot sign: then nothing is queued.
   */
  sign?(raw: Buffer, fromDomain: string | null): Promise<Buffer>
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code })

/** Midnight of the local day holding `at`. */
function dayStart(at: number): number {
  const d = new Date(at)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

const hashOf = (s: string) => createHash('sha256').update(s, 'utf8').digest()

export class Listener {
  private readonly parts: ListenerParts
  private readonly limits: ListenerLimits
  private servers: SMTPServer[] = []
  private current: ListenerStatus = { state: 'off' }
  private today = { start: 0, count: 0 }
  private applying: Promise<void> = Promise.resolve()

  constructor(parts: ListenerParts) {
    this.parts = parts
    this.limits = { ...DEFAULT_LIMITS, ...parts.limits }
  }

  status(): ListenerStatus {
    if (this.current.state !== 'listening') return this.current
    return { ...this.current, receivedToday: this.receivedToday() }
  }

  /** Starts, restarts or stops the listener as the settings say; one change at a time. */
  apply(): Promise<void> {
    this.applying = this.applying.then(() => this.restart())
    return this.applying
  }

  async stop(): Promise<void> {
    await this.applying
    await this.closeServers()
    await this.parts.commit.drained()
    this.current = { state: 'off' }
  }

  private receivedToday(): number {
    const start = dayStart(this.parts.now())
    if (start !== this.today.start) this.today = { start, count: this.parts.countSince(start) }
    return this.today.count
  }

  private async restart(): Promise<void> {
    const s = this.parts.settings()
    const wasOn = this.servers.length > 0
    await this.closeServers()
    if (!s.listenEnabled) {
      if (wasOn) this.parts.logEvent('info', 'Local submission stopped.')
      this.set({ state: 'off' })
      return
    }
    const where = (a: string) => `${a.includes(':') ? `[${a}]` : a}:${s.listenPort}`
    let options: SMTPServerOptions
    try {
      options = this.serverOptions(s)
    } catch (err) {
      this.fail(`Local submission cannot start: the STARTTLS certificate cannot be read (${(err as Error).message}). Check ${FIELD_LABELS.listenCertFile} and ${FIELD_LABELS.listenKeyFile} in Edit Settings → Advanced.`)
      return
    }
    try {
      this.servers.push(await listen(options, s.listenAddress, s.listenPort))
    } catch (err) {
      this.fail(bindProblem(err as NodeJS.ErrnoException, where(s.listenAddress)), { code: (err as NodeJS.ErrnoException).code })
      return
    }
    const addresses = [where(s.listenAddress)]
    // The default also takes ::1 where the machine has it: a client resolving "localhost" may try it first.
    if (s.listenAddress === '127.0.0.1') {
      try {
        this.servers.push(await listen(options, '::1', s.listenPort))
        addresses.push(where('::1'))
      } catch {
        // No IPv6 loopback here (or the port is taken there): 127.0.0.1 alone serves.
      }
    }
    this.today.start = 0
    this.parts.logEvent('info', `Local submission listening on ${addresses.join(' and ')}${s.listenRequireAuth ? ', AUTH required' : ''}${s.listenStarttls ? ', STARTTLS offered' : ''}.`)
    this.set({ state: 'listening', addresses, receivedToday: this.receivedToday(), auth: s.listenRequireAuth, starttls: s.listenStarttls })
  }

  private set(status: ListenerStatus): void {
    this.current = status
    this.parts.changed()
  }

  private fail(message: string, details?: Record<string, unknown>): void {
    this.parts.logEvent('error', message, details)
    this.set({ state: 'error', message })
  }

  private async closeServers(): Promise<void> {
    const servers = this.servers.splice(0)
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  }

  private serverOptions(s: SettingsFields): SMTPServerOptions {
    const tls = s.listenStarttls ? listenerCertificate(this.parts.dataDir, { certFile: s.listenCertFile, keyFile: s.listenKeyFile }, s.hostname) : null
    const disabled = [...(tls ? [] : ['STARTTLS']), ...(s.listenRequireAuth ? [] : ['AUTH'])]
    return {
      name: s.hostname,
      banner: 'SMTP Console local submission',
      size: s.maxMessageSizeBytes,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !s.listenRequireAuth,
      // On loopback nobody else sees the login; off it, the schema requires STARTTLS and the password waits for it.
      allowInsecureAuth: isLoopback(s.listenAddress),
      disabledCommands: disabled,
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      maxClients: this.limits.maxConnections,
      socketTimeout: this.limits.socketTimeoutMs,
      closeTimeout: 5_000,
      disableReverseLookup: true,
      logger: false,
      onAuth: (auth, _session, cb) => void this.authenticate(auth, s).then((ok) => cb(ok ? null : smtpError(535, '5.7.8 Authentication credentials invalid'), ok ? { user: auth.username } : undefined)),
      onMailFrom: (address, session, cb) => cb(this.checkSender(address, session)),
      onRcptTo: (address, session, cb) => cb(this.checkRecipient(address, session, s)),
      onData: (stream, session, cb) => this.receive(stream, session, s, cb),
    }
  }

  private async authenticate(auth: SMTPServerAuthentication, s: SettingsFields): Promise<boolean> {
    const password = await this.parts.password().catch(() => null)
    const given = auth.password
    if (password === null || given === undefined || given === null) return false
    // Compared as hashes in constant time: the reply's timing says nothing of how much matched.
    const userOk = timingSafeEqual(hashOf(auth.username ?? ''), hashOf(s.listenUsername))
    return timingSafeEqual(hashOf(given), hashOf(password)) && userOk
  }

  private checkSender(address: SMTPServerAddress, session: SMTPServerSession): Error | null {
    if (session.transaction > this.limits.maxMessagesPerConnection) {
      return smtpError(421, `4.7.0 Too many messages in one connection (${this.limits.maxMessagesPerConnection}); connect again to send more`)
    }
    const a = address.address
    if (a !== '' && (/[\s\x00-\x1f\x7f<>]/.test(a) || a.length > 254)) return smtpError(501, '5.1.7 Bad sender address syntax')
    return null
  }

  private checkRecipient(address: SMTPServerAddress, session: SMTPServerSession, s: SettingsFields): Error | null {
    if (session.envelope.rcptTo.length >= this.limits.maxRecipients) return smtpError(452, `4.5.3 Too many recipients (at most ${this.limits.maxRecipients} per message)`)
    if (!isMailbox(withDomain(address.address, s.hostname))) {
      return smtpError(501, '5.1.3 Bad recipient address syntax: a full address such as admin@example.com is needed')
    }
    return null
  }

  private receive(stream: SMTPServerDataStream, session: SMTPServerSession, s: SettingsFields, cb: (err?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = []
    // Past the limit nothing more is kept: smtp-server answers 552 at the end of DATA.
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk)
    })
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        cb(smtpError(552, `5.3.4 Message size exceeds the limit of ${s.maxMessageSizeBytes} bytes`))
        return
      }
      const message = this.compose(Buffer.concat(chunks), session, s)
      this.signed(message).then((m) => this.parts.commit.add(m)).then(
        (queueId) => {
          this.today.count++
          cb(null, `2.0.0 Ok: queued as ${queueId}`)
        },
        (err: Error) => cb(this.refusal(err)),
      )
    })
  }

  /** The message with its DKIM-Signature on top, where the settings sign its From domain. */
  private async signed(message: NewMessage): Promise<NewMessage> {
    if (!this.parts.sign) return message
    const from = headerValue(headerBlock(message.raw), 'from')
    const address = from ? (/<([^>]*)>\s*$/.exec(from)?.[1] ?? from) : null
    const raw = await this.parts.sign(message.raw, address ? addressDomain(address) : null)
    return raw === message.raw ? message : { ...message, raw }
  }

  /** The message as queued: the client's bytes under a Received: header (and Message-ID, Date when missing). */
  private compose(original: Buffer, session: SMTPServerSession, s: SettingsFields): NewMessage {
    const now = this.parts.now()
    const headers = headerBlock(original)
    const recipients = [...new Set(session.envelope.rcptTo.map((r) => withDomain(r.address, s.hostname)))]
    const from = session.envelope.mailFrom
    const sender = from ? (from.address === '' ? '' : withDomain(from.address, s.hostname)) : ''
    const user = typeof session.user === 'string' ? session.user : null
    const helo = session.hostNameAppearsAs ?? ''
    const address = session.remoteAddress ?? ''
    let added = receivedHeader(
      { helo, address, tls: session.secure, auth: user !== null, recipient: recipients.length === 1 ? recipients[0]! : null },
      s.hostname,
      now,
    )
    let messageId = headerValue(headers, 'message-id')
    if (!messageId) {
      messageId = `<${randomBytes(12).toString('hex')}@${s.hostname}>`
      added += `Message-ID: ${messageId}\r\n`
    }
    if (headerValue(headers, 'date') === null) added += `Date: ${rfc5322Date(now)}\r\n`
    const client = `${session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : ''}[${address}]:${session.remotePort}`
    return {
      sender,
      subject: (headerValue(headers, 'subject') ?? '').replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 998),
      messageId: messageId.replace(/^<|>$/g, ''),
      raw: Buffer.concat([Buffer.from(added, 'latin1'), original]),
      recipients,
      received: { client, detail: `client=${client}${user !== null ? `, sasl_username=${user}` : ''}, helo=${helo}` },
    }
  }

  /** What a client hears when the queue could not take its message; nothing of it was written. */
  private refusal(err: Error): Error {
    const trouble = this.parts.storageTrouble(err)
    if (trouble === 'full') return smtpError(452, '4.3.1 Insufficient system storage: the console’s disk is full; try again later')
    if (trouble === null) this.parts.logEvent('error', `Local submission could not queue a message: ${err.message}`)
    return smtpError(451, '4.3.0 The message could not be queued; try again later')
  }
}

/** A bare local part gets @Hostname, as Postfix's append_at_myorigin does. */
function withDomain(address: string, hostname: string): string {
  return address.includes('@') ? address : `${address}@${hostname}`
}

function listen(options: SMTPServerOptions, host: string, port: number): Promise<SMTPServer> {
  const server = new PromptSMTPServer(options)
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      server.close(() => undefined)
      reject(err)
    }
    server.once('error', failed)
    server.listen(port, host, () => {
      server.off('error', failed)
      // A failing connection must never take the console down.
      server.on('error', () => undefined)
      resolve(server)
    })
  })
}

function bindProblem(err: NodeJS.ErrnoException, where: string): string {
  const rest = 'The rest of the console works as before.'
  const change = `Change ${FIELD_LABELS.listenPort} or ${FIELD_LABELS.listenAddress} in Edit Settings → Advanced`
  if (err.code === 'EADDRINUSE') return `Local submission cannot listen on ${where}: the port is in use by another program (EADDRINUSE). ${change}, or stop that program. ${rest}`
  if (err.code === 'EACCES') return `Local submission cannot listen on ${where}: permission denied (EACCES); ports below 1024 need administrator rights. ${change}. ${rest}`
  if (err.code === 'EADDRNOTAVAIL') return `Local submission cannot listen on ${where}: this machine has no such address (EADDRNOTAVAIL). ${change}. ${rest}`
  return `Local submission cannot listen on ${where}: ${err.message}. ${change}. ${rest}`
}
