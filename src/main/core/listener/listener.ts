import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import type { SMTPServer, SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import { isLoopback, isMailbox, type SettingsFields } from '../../../shared/settings.ts'
import type { ListenerStatus } from '../../../shared/types.ts'
import type { NewMessage } from '../queue/queue.ts'
import { listenerCertificate } from './certificate.ts'
import { PromptSMTPServer } from './prompt-server.ts'
import { headerBlock, headerValue, receivedHeader, rfc5322Date } from './received-header.ts'

// Local submission's SMTP side: an SMTP server (smtp-server) for the system's
// own mail. It speaks the protocol and builds each message; accept() (the
// engine's, see listener-host.ts) queues it, and the 250 waits until the
// message is durable there. Bounded: connections, messages per connection,
// recipients per message, size. It needs nothing of the engine but its
// parts, so it runs on a thread of its own (listener-thread.ts) or in the
// engine's.

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

/** The listener's state as it knows it: the count received today is the engine's (see ListenerHost). */
export type ListenerState = { state: 'off' } | Omit<Extract<ListenerStatus, { state: 'listening' }>, 'receivedToday'> | { state: 'error'; message: string }

export interface ListenerParts {
  dataDir: string
  settings(): SettingsFields
  password(): Promise<string | null>
  /**
   * Queues a message; resolves with its queue id once it is durable there, rejects when nothing
   * of it was queued (storageTrouble tells a full disk from the rest).
   */
  accept(message: NewMessage): Promise<string>
  /** Whether an error is a full disk (452 4.3.1) or another trouble of the disk (451). */
  storageTrouble(err: unknown): 'full' | 'other' | null
  logEvent(level: 'info' | 'warning' | 'error', message: string, details?: Record<string, unknown>): void
  /** The state changed (listening, failed, stopped). */
  changed(state: ListenerState): void
  now(): number
  limits?: Partial<ListenerLimits>
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code })

const hashOf = (s: string) => createHash('sha256').update(s, 'utf8').digest()

export class Listener {
  private readonly parts: ListenerParts
  private readonly limits: ListenerLimits
  /** The SMTP server, and the one that hands it the connections of a second address (::1), if any. */
  private servers: { close(done: () => void): void }[] = []
  private current: ListenerState = { state: 'off' }
  private applying: Promise<void> = Promise.resolve()
  /** Messages handed to accept() and not answered yet: stop() waits for them. */
  private readonly accepting = new Set<Promise<unknown>>()

  constructor(parts: ListenerParts) {
    this.parts = parts
    this.limits = { ...DEFAULT_LIMITS, ...parts.limits }
  }

  state(): ListenerState {
    return this.current
  }

  /** Starts, restarts or stops the listener as the settings say; one change at a time. */
  apply(): Promise<void> {
    this.applying = this.applying.catch(() => undefined).then(() => this.restart())
    return this.applying
  }

  async stop(): Promise<void> {
    await this.applying.catch(() => undefined)
    await this.closeServers()
    await Promise.allSettled([...this.accepting])
    this.current = { state: 'off' }
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
    let server: SMTPServer
    try {
      server = await listen(options, s.listenAddress, s.listenPort)
      this.servers.push(server)
    } catch (err) {
      this.fail(bindProblem(err as NodeJS.ErrnoException, where(s.listenAddress)), { code: (err as NodeJS.ErrnoException).code })
      return
    }
    const addresses = [where(s.listenAddress)]
    // The default also takes ::1 where the machine has it: a client resolving "localhost" may try it first.
    if (s.listenAddress === '127.0.0.1') {
      try {
        this.servers.push(await alsoOn(server, '::1', s.listenPort))
        addresses.push(where('::1'))
      } catch {
        // No IPv6 loopback here (or the port is taken there): 127.0.0.1 alone serves.
      }
    }
    this.parts.logEvent('info', `Local submission listening on ${addresses.join(' and ')}${s.listenRequireAuth ? ', AUTH required' : ''}${s.listenStarttls ? ', STARTTLS offered' : ''}.`)
    this.set({ state: 'listening', addresses, auth: s.listenRequireAuth, starttls: s.listenStarttls })
  }

  private set(state: ListenerState): void {
    this.current = state
    this.parts.changed(state)
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
      const answered = this.parts.accept(message).then(
        (queueId) => cb(null, `2.0.0 Ok: queued as ${queueId}`),
        (err: Error) => cb(this.refusal(err)),
      )
      this.accepting.add(answered)
      void answered.finally(() => this.accepting.delete(answered))
    })
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

/**
 * Takes connections on one more address and hands them to `server`, as its own: the sessions of
 * both addresses are one count against its connection limit (two servers would allow twice as many).
 */
function alsoOn(server: SMTPServer, host: string, port: number): Promise<Server> {
  const smtp = (server as unknown as { server: Server }).server
  const extra = createServer((socket) => smtp.emit('connection', socket))
  return new Promise((resolve, reject) => {
    extra.once('error', reject)
    extra.listen(port, host, () => {
      extra.off('error', reject)
      extra.on('error', () => undefined)
      resolve(extra)
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
