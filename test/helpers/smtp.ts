import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession, type SMTPServerAddress } from 'smtp-server'
import { selfSignedCert, type TestCert } from './tls.ts'

// Real SMTP servers on loopback for the engine to talk to: plain, STARTTLS,
// implicit TLS, with AUTH, and with scripted replies per recipient or message.

export interface Received {
  from: string
  to: string[]
  raw: string
  user: string | undefined
  secure: boolean
  /** The name the client gave in EHLO/HELO. */
  ehlo: string
}

export interface TestSmtp {
  port: number
  received: Received[]
  /** Connections opened and closed so far, to see sessions reused and let go. */
  connections: { opened: number; closed: number }
  /** AUTH attempts the server saw (a check must not log in where it should not). */
  auths: number
  close(): Promise<void>
}

export interface TestSmtpOptions {
  /** 'starttls' offers STARTTLS; 'implicit' is TLS from the first byte; 'none' offers no TLS at all. */
  tls?: 'starttls' | 'implicit' | 'none'
  auth?: { user: string; pass: string }
  /** Require AUTH before MAIL FROM (the default when `auth` is given). */
  authRequired?: boolean
  /** Return an Error with responseCode to refuse a recipient. */
  onRcpt?: (address: string, session: SMTPServerSession) => Error | null
  /** Return an Error with responseCode to refuse the message after DATA; 'disconnect' drops the connection mid-DATA. */
  onData?: (raw: string, count: number) => Error | 'disconnect' | null
  /** Delay before each DATA reply, to make a slow server. */
  dataDelayMs?: number
  /** Holds every DATA reply until this settles: the message is in, the client waits for the 250. */
  holdData?: Promise<unknown>
  port?: number
  host?: string
  /** The server's certificate; a fresh self-signed one for localhost by default. */
  cert?: TestCert
  /** smtp-server options beyond these (authMethods, disableReverseLookup, …). */
  serverOptions?: Partial<SMTPServerOptions>
  /** SASL mechanisms offered (smtp-server's default is LOGIN and PLAIN). */
  authMethods?: string[]
  /** Decides every login itself, instead of `auth`'s user and password (XOAUTH2 tokens, say). */
  onAuth?: SMTPServerOptions['onAuth']
}

export function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code })
}

export async function startSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const received: Received[] = []
  const cert = opts.cert ?? selfSignedCert()
  const tls = opts.tls ?? 'starttls'
  let dataCount = 0
  const connections = { opened: 0, closed: 0 }
  let auths = 0
  const options: SMTPServerOptions = {
    onConnect(_session, cb) {
      connections.opened++
      cb()
    },
    onClose() {
      connections.closed++
    },
    secure: tls === 'implicit',
    key: cert.key,
    cert: cert.cert,
    ...(tls === 'none' ? { disabledCommands: opts.auth || opts.onAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'] } : opts.auth || opts.onAuth ? {} : { disabledCommands: ['AUTH'] }),
    authOptional: opts.auth || opts.onAuth ? opts.authRequired === false : true,
    ...(opts.authMethods ? { authMethods: opts.authMethods } : {}),
    allowInsecureAuth: true,
    logger: false,
    banner: 'test server ready',
    size: 50 * 1024 * 1024,
    onAuth(auth, session, cb) {
      auths++
      if (opts.onAuth) return opts.onAuth(auth, session, cb)
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username })
      return cb(smtpError(535, '5.7.8 Authentication credentials invalid'))
    },
    onRcptTo(address: SMTPServerAddress, session, cb) {
      const err = opts.onRcpt?.(address.address, session) ?? null
      cb(err ?? undefined)
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => {
        chunks.push(c)
      })
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        dataCount++
        const verdict = opts.onData?.(raw, dataCount) ?? null
        if (verdict === 'disconnect') {
          destroyConnection(session.id)
          return
        }
        const finish = () => {
          if (verdict) return cb(verdict)
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            user: session.user as string | undefined,
            secure: session.secure,
            ehlo: session.hostNameAppearsAs,
          })
          cb()
        }
        const reply = () => (opts.dataDelayMs ? setTimeout(finish, opts.dataDelayMs) : finish())
        if (opts.holdData) void opts.holdData.then(reply)
        else reply()
      })
    },
    ...opts.serverOptions,
  }
  const server = new SMTPServer(options)
  server.on('error', () => undefined)
  const netServer = (server as unknown as { server: NetServer }).server
  // smtp-server keeps its connections in a set; dropping one mid-DATA needs its socket.
  function destroyConnection(id: string): void {
    const conns = (server as unknown as { connections: Set<{ id: string; _socket: Socket }> }).connections
    for (const c of conns) if (c.id === id) c._socket.destroy()
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const port = (netServer.address() as AddressInfo).port
  return {
    port,
    received,
    connections,
    get auths() {
      return auths
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A TCP server that accepts connections and never says a word: a greeting that never comes. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createNetServer((s) => {
    sockets.add(s)
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port on loopback where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
