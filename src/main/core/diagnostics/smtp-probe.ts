import { createHmac } from 'node:crypto'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls'

// A small SMTP client for the checks: it speaks just enough (greeting, EHLO,
// STARTTLS, AUTH, MAIL, RCPT, RSET, QUIT) to see what a server offers and
// answers, one step at a time with its own timeout, and keeps a transcript
// with credentials hidden. It has no DATA: a check can never send a message.

/** How a step failed, as the admin must hear it: refused and timed out are different problems. */
export type ProbeFailure = 'refused' | 'timeout' | 'dns' | 'unreachable' | 'closed' | 'reset' | 'tls' | 'protocol' | 'aborted'

export class ProbeError extends Error {
  override name = 'ProbeError'
  readonly kind: ProbeFailure
  /** The system's or OpenSSL's code (ECONNREFUSED, ERR_SSL_WRONG_VERSION_NUMBER, …), when there is one. */
  readonly code: string | undefined
  constructor(kind: ProbeFailure, message: string, code?: string) {
    super(message)
    this.kind = kind
    this.code = code
  }
}

export interface Reply {
  code: number
  /** The reply's lines without the code, as the server wrote them. */
  lines: string[]
}

/** The reply as one line for a sentence: "250 2.1.0 Ok". */
export function replyText(r: Reply): string {
  return `${r.code} ${r.lines.join(' ')}`.trim()
}

export interface TlsFacts {
  protocol: string | null
  cipher: string | null
  /** Whether the chain verified against the CA certificate given (or the system's roots), host name included. */
  authorized: boolean
  /** OpenSSL's or Node's reason when not (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …). */
  authorizationError: string | null
  cert: DetailedPeerCertificate | null
}

export interface TlsOptions {
  /** The name the certificate must carry (Relay Host or the MX's name). */
  host: string
  caPem?: string
  timeoutMs: number
}

const MAX_REPLY_LINES = 100
const MAX_BUFFER = 64 * 1024
const MAX_TRANSCRIPT = 200

function socketFailure(err: NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] }): ProbeError {
  // A host name with several addresses fails with an AggregateError: the first one's code tells the story.
  const code = err.code ?? err.errors?.[0]?.code
  const message = err.message || err.errors?.map((e) => e.message).join('; ') || String(err)
  if (code === 'ECONNREFUSED') return new ProbeError('refused', message, code)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') return new ProbeError('dns', message, code)
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return new ProbeError('unreachable', message, code)
  if (code === 'ETIMEDOUT') return new ProbeError('timeout', message, code)
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ProbeError('reset', message, code)
  if (code?.startsWith('ERR_SSL') || code === 'EPROTO' || /ssl|tls/i.test(message)) return new ProbeError('tls', message, code)
  return new ProbeError('closed', message, code)
}

export class SmtpProbe {
  readonly transcript: string[]
  private socket: Socket | TLSSocket
  private buffer = ''
  private pending: string[] = []
  private replies: Reply[] = []
  private waiter: { resolve: (r: Reply) => void; reject: (e: ProbeError) => void } | null = null
  private failure: ProbeError | null = null
  private readonly signal: AbortSignal | undefined
  tls: TlsFacts | null = null

  private constructor(socket: Socket, transcript: string[], signal: AbortSignal | undefined) {
    this.socket = socket
    this.transcript = transcript
    this.signal = signal
    this.listen(socket)
    signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  /** Opens a TCP connection; the greeting is left to read(). */
  static connect(target: { host: string; port: number; timeoutMs: number; signal?: AbortSignal; transcript?: string[] }): Promise<SmtpProbe> {
    return new Promise((resolve, reject) => {
      if (target.signal?.aborted) return reject(new ProbeError('aborted', 'The checks were stopped.'))
      const socket = netConnect({ host: target.host, port: target.port })
      const done = (err: ProbeError | null) => {
        clearTimeout(timer)
        target.signal?.removeEventListener('abort', onAbort)
        socket.removeListener('error', onError)
        if (err) {
          socket.destroy()
          return reject(err)
        }
        resolve(new SmtpProbe(socket, target.transcript ?? [], target.signal))
      }
      const onError = (err: NodeJS.ErrnoException) => done(socketFailure(err))
      const onAbort = () => done(new ProbeError('aborted', 'The checks were stopped.'))
      const timer = setTimeout(() => done(new ProbeError('timeout', `No answer to the connection within ${target.timeoutMs / 1000} s.`)), target.timeoutMs)
      target.signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('error', onError)
      socket.once('connect', () => done(null))
    })
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress
  }

  get encrypted(): boolean {
    return this.tls !== null
  }

  private readonly onAbort = () => this.fail(new ProbeError('aborted', 'The checks were stopped.'))

  private listen(socket: Socket): void {
    socket.setEncoding('utf8')
    socket.on('data', this.onData)
    socket.on('error', this.onError)
    socket.on('close', this.onClose)
  }

  private unlisten(socket: Socket): void {
    socket.removeListener('data', this.onData)
    socket.removeListener('error', this.onError)
    socket.removeListener('close', this.onClose)
  }

  private readonly onError = (err: NodeJS.ErrnoException) => this.fail(socketFailure(err))
  private readonly onClose = () => this.fail(new ProbeError('closed', 'The server closed the connection.'))

  private readonly onData = (chunk: string) => {
    this.buffer += chunk
    if (this.buffer.length > MAX_BUFFER) return this.fail(new ProbeError('protocol', 'The server sent more than 64 KiB without a complete reply.'))
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '')
      this.buffer = this.buffer.slice(nl + 1)
      this.line(line)
    }
  }

  private line(line: string): void {
    this.note(`S: ${line}`)
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line)
    if (!m) return this.fail(new ProbeError('protocol', `The server answered something that is not SMTP: "${line.slice(0, 80)}"`))
    this.pending.push(m[3]!)
    if (this.pending.length > MAX_REPLY_LINES) return this.fail(new ProbeError('protocol', 'The server sent a reply of more than 100 lines.'))
    if (m[2] === '-') return
    const reply = { code: Number(m[1]), lines: this.pending }
    this.pending = []
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w.resolve(reply)
    } else this.replies.push(reply)
  }

  private fail(err: ProbeError): void {
    if (this.failure) return
    this.failure = err
    this.waiter?.reject(err)
    this.waiter = null
    this.socket.destroy()
  }

  /** A line of our own between the client's and the server's. */
  note(line: string): void {
    if (this.transcript.length < MAX_TRANSCRIPT) this.transcript.push(line)
    else if (this.transcript.length === MAX_TRANSCRIPT) this.transcript.push('… (transcript shortened)')
  }

  /** The next reply (the greeting, or the answer to the last command). */
  read(timeoutMs: number): Promise<Reply> {
    const queued = this.replies.shift()
    if (queued) return Promise.resolve(queued)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new ProbeError('timeout', `No reply within ${timeoutMs / 1000} s.`))
      }, timeoutMs)
      this.waiter = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      }
    })
  }

  /** Sends one command and reads its reply; `shown` replaces the line in the transcript (credentials). */
  async command(line: string, timeoutMs: number, shown = line): Promise<Reply> {
    if (this.failure) throw this.failure
    this.note(`C: ${shown}`)
    this.socket.write(`${line}\r\n`)
    return this.read(timeoutMs)
  }

  /** TLS on this connection: from the first byte (implicit TLS) or after a 220 to STARTTLS. */
  handshake(options: TlsOptions): Promise<TlsFacts> {
    if (this.failure) return Promise.reject(this.failure)
    const plain = this.socket
    this.unlisten(plain)
    // Bytes the server sent ahead of the handshake would be taken as encrypted replies (RFC 3207 5): dropped.
    this.buffer = ''
    this.pending = []
    this.replies = []
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({
        socket: plain,
        // The name the certificate is checked against (Node takes "localhost" when none is given).
        host: options.host,
        ...(isIP(options.host) ? {} : { servername: options.host }),
        ...(options.caPem?.trim() ? { ca: options.caPem } : {}),
        // Trust is judged afterwards from authorized/authorizationError: a check must see the certificate it reports on.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      })
      const done = (err: ProbeError | null) => {
        clearTimeout(timer)
        secure.removeListener('error', onError)
        secure.removeListener('close', onClose)
        if (err) {
          this.failure ??= err
          secure.destroy()
          return reject(err)
        }
        this.socket = secure
        this.listen(secure)
        const cipher = secure.getCipher()
        const peer = secure.getPeerCertificate(true)
        this.tls = {
          protocol: secure.getProtocol(),
          cipher: cipher?.name ?? null,
          authorized: secure.authorized,
          authorizationError: secure.authorizationError ? String(secure.authorizationError) : null,
          cert: peer && Object.keys(peer).length ? peer : null,
        }
        this.note(`*  TLS: ${this.tls.protocol ?? '?'} ${this.tls.cipher ?? ''}`.trimEnd())
        resolve(this.tls)
      }
      const onError = (err: NodeJS.ErrnoException) => {
        const f = socketFailure(err)
        done(f.kind === 'closed' || f.kind === 'reset' ? new ProbeError('tls', err.message, err.code) : f)
      }
      const onClose = () => done(new ProbeError('tls', 'The server closed the connection during the TLS handshake.'))
      const timer = setTimeout(() => done(new ProbeError('timeout', `The TLS handshake did not finish within ${options.timeoutMs / 1000} s.`)), options.timeoutMs)
      secure.once('error', onError)
      secure.once('close', onClose)
      secure.once('secureConnect', () => done(null))
    })
  }

  /** One SASL exchange, as nodemailer would pick it; the transcript shows the mechanism, never the credentials. */
  async login(mechanism: 'PLAIN' | 'LOGIN' | 'CRAM-MD5', user: string, pass: string, ms: number): Promise<Reply> {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
    const hidden = '(hidden)'
    if (mechanism === 'PLAIN') return this.command(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`, ms, `AUTH PLAIN ${hidden}`)
    if (mechanism === 'LOGIN') {
      const first = await this.command('AUTH LOGIN', ms)
      if (first.code !== 334) return first
      const second = await this.command(b64(user), ms, `${hidden} (Username)`)
      if (second.code !== 334) return second
      return this.command(b64(pass), ms, `${hidden} (Password)`)
    }
    const challenge = await this.command('AUTH CRAM-MD5', ms)
    if (challenge.code !== 334) return challenge
    const digest = createHmac('md5', pass).update(Buffer.from(challenge.lines[0] ?? '', 'base64')).digest('hex')
    return this.command(b64(`${user} ${digest}`), ms, `${hidden} (Username and digest)`)
  }

  /**
   * SASL XOAUTH2 with an access token; the transcript shows neither. A server that refuses answers 334 with
   * an error in JSON (Google's way), to which the client sends an empty line for the final reply.
   */
  async loginXoauth2(user: string, token: string, ms: number): Promise<Reply> {
    const initial = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64')
    const reply = await this.command(`AUTH XOAUTH2 ${initial}`, ms, 'AUTH XOAUTH2 <redacted>')
    return reply.code === 334 ? this.command('', ms) : reply
  }

  /** RSET and QUIT where the connection still stands, then closes it; never throws. */
  async quit(timeoutMs: number, rset = false): Promise<void> {
    try {
      if (rset && !this.failure) await this.command('RSET', timeoutMs)
      if (!this.failure) await this.command('QUIT', timeoutMs)
    } catch {
      // A server that does not answer QUIT is closed all the same.
    }
    this.close()
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort)
    this.failure ??= new ProbeError('closed', 'The connection was closed.')
    this.waiter?.reject(this.failure)
    this.waiter = null
    this.unlisten(this.socket)
    this.socket.on('error', () => undefined)
    this.socket.destroy()
  }
}

/** EHLO capabilities, keyword upper-case → its parameters ("AUTH" → ["PLAIN", "LOGIN"]). */
export function capabilities(ehlo: Reply): Map<string, string[]> {
  const caps = new Map<string, string[]>()
  for (const line of ehlo.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/\s+/)
    if (keyword) caps.set(keyword.toUpperCase(), params.map((p) => p.toUpperCase()))
  }
  // Some old servers announce "AUTH=LOGIN PLAIN" as well as, or instead of, "AUTH LOGIN PLAIN".
  for (const line of ehlo.lines.slice(1)) {
    const m = /^AUTH=(.*)$/i.exec(line.trim())
    if (m) caps.set('AUTH', [...new Set([...(caps.get('AUTH') ?? []), ...m[1]!.toUpperCase().split(/\s+/).filter(Boolean)])])
  }
  for (const k of [...caps.keys()]) if (k.startsWith('AUTH=')) caps.delete(k)
  return caps
}

/**
 * The client's address as the server's EHLO reply names it in brackets ("… Hello foo [203.0.113.7]",
 * as Sendmail, Exchange and Gmail write it); null when it does not (Postfix never does).
 */
export function addressInEhlo(ehlo: Reply): string | null {
  const first = ehlo.lines[0] ?? ''
  for (const m of first.matchAll(/\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/gi)) {
    if (isIP(m[1]!)) return m[1]!
  }
  return null
}
