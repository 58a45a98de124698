import { PassThrough } from 'node:stream'
import { format } from 'node:util'
import type { TLSSocket } from 'node:tls'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import XOAuth2 from 'nodemailer/lib/xoauth2'
import { ENVELOPE_REFUSED, type EffectiveTls } from '../../../shared/settings.ts'
import type { DeliveryStage } from '../../../shared/types.ts'
import { decodeFailure } from '../errors/decoder.ts'
import { enhancedCodeOf, NO_TLS_FOR_AUTH, phaseOfCommand, toRawFailure, type FailureContext } from '../errors/facts.ts'
import { ABORTED_REPLY, aborted, forEach, kindOf, type Outcome, type RecipientOutcome } from '../queue/outcome.ts'
import { answersTls } from './tls-probe.ts'
import { redactAuthLine } from '../oauth/redaction.ts'

// One SMTP session with one server: connect, greet, TLS, authenticate, then
// any number of messages. It knows nothing of the queue; it reports per
// recipient what the server said.

/**
 * How long a delivery stopped after the whole message was handed over still
 * waits for the server's answer to it: the server may have accepted the
 * message already, and what is logged must say what happened.
 */
export const ANSWER_GRACE_MS = 5_000

/** The abort reason for stopping without waiting for any answer (the console shutting down after its grace). */
export const STOP_NOW = 'stop now'

export const ABORTED_AFTER_DATA = 'stopped after the whole message was sent, before the server answered: it may still deliver it'

/** Where a session's access token comes from: the token cache of the relay's OAuth 2.0 sign-in. */
export interface TokenSource {
  /** A token to sign in with; `renew` asks for a fresh one because the server refused the last. */
  get(renew?: boolean, signal?: AbortSignal): Promise<string>
}

/** The relay's login: Username and Password, or the Username (the mailbox) and an OAuth 2.0 token sent as SASL XOAUTH2. */
export type SessionAuth = { user: string; pass: string } | { user: string; token: TokenSource }

export interface SessionTarget {
  /** The name the admin knows the server by (relay host or MX host). */
  host: string
  /** The address to connect to; defaults to `host`. */
  address?: string
  port: number
  tls: EffectiveTls
  verifyCertificate: boolean
  caPem?: string
  auth?: SessionAuth | null
  /** Allow password without TLS (unsafe): log in even where the session could not be encrypted. */
  allowPlainAuth?: boolean
  /** EHLO name: the console's Hostname. */
  ehloName: string
  connectionTimeoutMs: number
  greetingTimeoutMs: number
  socketTimeoutMs: number
  direct: boolean
}

export interface SessionHooks {
  progress?: (stage: DeliveryStage, detail: string, extra?: { relay?: string }) => void
  /** Receives the SMTP dialogue, client lines `C:`, server lines `S:`, credentials redacted. */
  transcript?: string[]
}

/** A failure that ends the session before or outside one message, with what the decoder made of it. */
export class SessionError extends Error {
  override name = 'SessionError'
  readonly relay: string | null
  readonly outcome: Outcome
  constructor(message: string, relay: string | null, outcome: Outcome) {
    super(message)
    this.relay = relay
    this.outcome = outcome
  }
}

export function outcomeFromError(
  err: unknown,
  target: SessionTarget,
  relay: string | null,
  tlsVersion: string | null,
  sending = false,
  found: Pick<FailureContext, 'answersTls'> = {},
): Outcome {
  const raw = toRawFailure(err)
  // nodemailer names every socket failure 'CONN'; once a message is under way, it happened while sending.
  const phase = raw.command?.toUpperCase() === 'CONN' ? (sending ? 'data' : 'connect') : phaseOfCommand(raw.command)
  const decoded = decodeFailure(raw, {
    phase,
    host: target.host,
    port: target.port,
    tls: target.tls,
    direct: target.direct,
    saslConfigured: Boolean(target.auth),
    ...(target.auth ? { signIn: 'token' in target.auth ? ('oauth' as const) : ('password' as const) } : {}),
    ...found,
  })
  return {
    kind: kindOf(decoded.disposition),
    relay,
    reply: raw.response?.trim() || raw.message,
    dsn: decoded.dsn,
    tls: tlsVersion,
    cause: decoded.cause,
  }
}

function makeLogger(lines: string[]) {
  const push = (entry: { tnx?: string } | undefined, message: string, args: unknown[]) => {
    if (!entry || (entry.tnx !== 'client' && entry.tnx !== 'server')) return
    const text = format(message, ...args)
    // nodemailer masks the token already; the line says so plainly, and no part of the blob is kept.
    for (const line of text.split(/\r?\n/)) if (line) lines.push(redactAuthLine(`${entry.tnx === 'client' ? 'C' : 'S'}: ${line}`))
    // A transcript is for reading, not for archiving a whole mailbox.
    if (lines.length > 500) lines.splice(200, lines.length - 400, '… (transcript shortened)')
  }
  const log = (entry: { tnx?: string } | undefined, message: string, ...args: unknown[]) => push(entry, message, args)
  return { level: () => undefined, trace: log, debug: log, info: log, warn: log, error: log, fatal: log }
}

/**
 * Runs one step of the session (connect, login, send) as a promise that
 * always settles: nodemailer's close() drops pending callbacks and only emits
 * 'end', so an abort or a dropped connection would otherwise leave the step
 * waiting forever and hold a delivery slot.
 */
function step<T>(conn: SMTPConnection, signal: AbortSignal | undefined, run: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const cleanup = () => {
      conn.removeListener('end', onEnd)
      conn.removeListener('error', onError)
      signal?.removeEventListener('abort', onAbort)
    }
    const ok = (v: T) => {
      if (settled) return
      settled = true
      cleanup()
      resolve(v)
    }
    const fail = (e: unknown) => {
      if (settled) return
      settled = true
      cleanup()
      reject(e)
    }
    const onEnd = () => fail(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' }))
    const onError = (e: unknown) => fail(e)
    const onAbort = () => {
      fail(Object.assign(new Error(ABORTED_REPLY), { code: 'EABORT' }))
      conn.close()
    }
    if (signal?.aborted) return onAbort()
    conn.once('end', onEnd)
    conn.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
    run(ok, fail)
  })
}

export class SmtpSession {
  readonly target: SessionTarget
  private readonly conn: SMTPConnection
  private readonly hooks: SessionHooks
  relay: string
  tlsVersion: string | null = null
  private closed = false
  messagesSent = 0

  private constructor(target: SessionTarget, conn: SMTPConnection, hooks: SessionHooks) {
    this.target = target
    this.conn = conn
    this.hooks = hooks
    this.relay = `${target.host}[${target.address ?? target.host}]:${target.port}`
    conn.on('end', () => (this.closed = true))
    conn.on('error', () => (this.closed = true))
  }

  get alive(): boolean {
    return !this.closed
  }

  /** Opens a session: TCP (or TLS), greeting, EHLO, STARTTLS, AUTH. Throws SessionError. */
  static async open(target: SessionTarget, hooks: SessionHooks, signal?: AbortSignal): Promise<SmtpSession> {
    try {
      return await SmtpSession.openOnce(target, hooks, signal)
    } catch (err) {
      // Opportunistic TLS whose handshake fails goes on in plaintext on a new connection, as Postfix's
      // smtp_tls_security_level = may does; never when that would put the password on the wire.
      const fallback =
        err instanceof SessionError &&
        err.outcome.cause === 'tls-handshake-failed' &&
        target.tls === 'opportunistic' &&
        !signal?.aborted &&
        (!target.auth || target.allowPlainAuth)
      if (!fallback) throw err
      const reason = /SSL routines:[^:]*:([^:\n]+)/.exec(err.message)?.[1] ?? err.message.split('\n')[0]
      hooks.transcript?.push(`*  The TLS handshake failed (${reason}): trying again without TLS, as opportunistic TLS does.`)
      return SmtpSession.openOnce({ ...target, tls: 'none' }, hooks, signal)
    }
  }

  private static async openOnce(target: SessionTarget, hooks: SessionHooks, signal?: AbortSignal): Promise<SmtpSession> {
    // Opportunistic TLS is not verified (any encryption beats none), except when it is to carry the password:
    // then Verify certificate holds, so a machine in the middle cannot collect it with a certificate of its own.
    const guardsPassword = Boolean(target.auth) && !target.allowPlainAuth
    const tlsOptions: Record<string, unknown> = {
      rejectUnauthorized: target.tls === 'opportunistic' && !guardsPassword ? false : target.verifyCertificate,
      minVersion: 'TLSv1.2',
    }
    if (target.caPem && target.caPem.trim()) tlsOptions.ca = target.caPem
    if (target.address && target.address !== target.host) tlsOptions.servername = target.host
    const conn = new SMTPConnection({
      host: target.address ?? target.host,
      port: target.port,
      secure: target.tls === 'implicit',
      requireTLS: target.tls === 'starttls',
      ignoreTLS: target.tls === 'none',
      opportunisticTLS: target.tls === 'opportunistic',
      name: target.ehloName,
      connectionTimeout: target.connectionTimeoutMs,
      greetingTimeout: target.greetingTimeoutMs,
      socketTimeout: target.socketTimeoutMs,
      allowInternalNetworkInterfaces: true,
      tls: tlsOptions,
      ...(hooks.transcript ? { logger: makeLogger(hooks.transcript) as never, transactionLog: true } : {}),
    })
    const session = new SmtpSession(target, conn, hooks)
    const where = `${target.host}${target.address && target.address !== target.host ? `[${target.address}]` : ''}:${target.port}`
    hooks.progress?.('connecting', `Connecting to ${where}${target.tls === 'implicit' ? ' with implicit TLS' : ''}`)
    try {
      await step<void>(conn, signal, (resolve) => conn.connect(() => resolve()))
      session.noteSocket()
      hooks.progress?.('connected', `Connected to ${session.relay}`, { relay: session.relay })
      const opportunistic = target.tls === 'opportunistic'
      if (opportunistic) {
        session.note(
          session.tlsVersion
            ? `Use TLS is off, but the server offers STARTTLS: the session was upgraded to ${session.tlsVersion} (opportunistic TLS) before any login or mail.`
            : 'Use TLS is off and the server offers no STARTTLS (or refused it): the session is not encrypted.',
        )
      }
      if (session.tlsVersion) {
        hooks.progress?.('tls', `Encrypted with ${session.tlsVersion}${opportunistic ? ' (STARTTLS offered by the server; Use TLS is off)' : ''}`, { relay: session.relay })
      }
      const credential = target.auth && 'token' in target.auth ? 'access token' : 'Password'
      if (target.auth && !conn.secure) {
        if (!target.allowPlainAuth) {
          session.note(`The ${credential} is not sent without TLS: no login was attempted, and no mail is sent on this session.`)
          throw Object.assign(new Error('The server offers no STARTTLS, and the password is never sent without TLS: no login was attempted'), {
            code: NO_TLS_FOR_AUTH,
            command: 'AUTH',
          })
        }
        session.note(`Allow password without TLS (unsafe) is on: logging in without TLS, so the Username and ${credential} cross the network readable.`)
      }
      const auth = target.auth
      if (auth && 'token' in auth) {
        await session.loginWithToken(auth, signal)
        hooks.progress?.('authenticated', `Authenticated as ${auth.user} with an OAuth 2.0 access token (XOAUTH2)`, { relay: session.relay })
      } else if (auth) {
        await step<void>(conn, signal, (resolve, reject) => conn.login({ user: auth.user, pass: auth.pass }, (err) => (err ? reject(err) : resolve())))
        hooks.progress?.('authenticated', `Authenticated as ${auth.user}`, { relay: session.relay })
      }
      conn.on('error', () => undefined)
      return session
    } catch (err) {
      conn.close()
      const relay = session.socketKnown ? session.relay : null
      // A relay that never greeted a plain client: ask the port whether it speaks TLS before explaining.
      const found: Pick<FailureContext, 'answersTls'> = {}
      if (!signal?.aborted && (err as { timeoutType?: string }).timeoutType === 'GREETING_TIMEOUT' && !target.direct && target.tls !== 'implicit') {
        found.answersTls = await answersTls(target, Math.min(target.greetingTimeoutMs, 10_000), signal)
      }
      if (signal?.aborted) throw new SessionError(ABORTED_REPLY, relay, aborted(relay))
      throw new SessionError((err as Error).message, relay, outcomeFromError(err, target, relay, session.tlsVersion, false, found))
    }
  }

  private socketKnown = false

  /**
   * SASL XOAUTH2 with a token from the cache. nodemailer asks for a fresh token once when the server
   * answers 334 (Google's way); a server that answers 535 at once (Microsoft's) gets one more login here
   * with a fresh token. Either way the token is renewed once per login, never in a loop.
   */
  private async loginWithToken(auth: { user: string; token: TokenSource }, signal?: AbortSignal): Promise<void> {
    let renewed = false
    let renewNext = false
    const oauth2 = () =>
      new XOAuth2({
        user: auth.user,
        provisionCallback: (_user, renew, callback) => {
          const fresh = renew || renewNext
          renewNext = false
          if (fresh) renewed = true
          auth.token.get(fresh, signal).then(
            (token) => callback(null, token),
            (err: Error) => callback(err),
          )
        },
      })
    const attempt = () =>
      step<void>(this.conn, signal, (resolve, reject) =>
        this.conn.login({ user: auth.user, method: 'XOAUTH2', oauth2: oauth2() }, (err) => (err ? reject(err) : resolve())),
      )
    try {
      await attempt()
    } catch (err) {
      const e = err as { code?: string; responseCode?: number }
      if (renewed || signal?.aborted || e.code !== 'EAUTH' || e.responseCode !== 535) throw err
      this.note('The server refused the access token (it may have been revoked): signing in once more with a new token from the token endpoint.')
      renewNext = true
      await attempt()
    }
  }

  /** A line of our own in the transcript, between the client's and the server's. */
  private note(text: string): void {
    this.hooks.transcript?.push(`*  ${text}`)
  }

  private noteSocket(): void {
    const socket = (this.conn as unknown as { _socket?: TLSSocket })._socket
    if (!socket) return
    this.socketKnown = true
    if (socket.remoteAddress) this.relay = `${this.target.host}[${socket.remoteAddress}]:${socket.remotePort ?? this.target.port}`
    if (this.conn.secure && typeof socket.getProtocol === 'function') this.tlsVersion = socket.getProtocol()
  }

  /**
   * Sends one message; returns one outcome per recipient. Network failures
   * become deferrals. An abort cuts the session at once until the whole
   * message is handed over; after that the server's answer is awaited for
   * ANSWER_GRACE_MS, so a message it accepted is reported sent.
   */
  async send(from: string, recipients: string[], raw: Buffer, signal?: AbortSignal): Promise<RecipientOutcome[]> {
    this.hooks.progress?.('sending', `Sending to ${recipients.length === 1 ? recipients[0] : `${recipients.length} recipients`}`, { relay: this.relay })
    // nodemailer refuses the whole transaction for one address it will not write (stored by an older
    // version, say): such an address is answered here, and the others still go.
    const refused = (role: 'sender' | 'recipient', address: string) =>
      outcomeFromError(Object.assign(new Error(`Invalid ${role} ${JSON.stringify(address)}`), { code: 'EENVELOPE', command: 'API' }), this.target, this.relay, this.tlsVersion)
    const unsendable = (address: string) => address.trim() === '' || ENVELOPE_REFUSED.test(address)
    // An empty sender is the null reverse-path, which nodemailer sends; only these characters are refused.
    if (ENVELOPE_REFUSED.test(from)) return recipients.map((recipient) => ({ recipient, ...refused('sender', from) }))
    const sendable = recipients.filter((r) => !unsendable(r))
    const outcomes = sendable.length ? await this.transact(from, sendable, raw, signal) : []
    const byRecipient = new Map(outcomes.map((o) => [o.recipient, o]))
    return recipients.map((recipient) => byRecipient.get(recipient) ?? { recipient, ...refused('recipient', recipient) })
  }

  private async transact(from: string, recipients: string[], raw: Buffer, signal?: AbortSignal): Promise<RecipientOutcome[]> {
    const cut = new AbortController()
    let handedOver = false
    let grace: NodeJS.Timeout | undefined
    const onAbort = () => {
      if (!handedOver || signal?.reason === STOP_NOW) cut.abort()
      else grace ??= setTimeout(() => cut.abort(), ANSWER_GRACE_MS)
    }
    // The body as a stream: its end is the moment the final dot follows it to the server.
    const body = new PassThrough()
    body.once('end', () => {
      handedOver = true
    })
    body.end(raw)
    if (signal?.aborted) cut.abort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const info = await step<SMTPConnection.SentMessageInfo>(this.conn, cut.signal, (resolve, reject) =>
        this.conn.send({ from, to: recipients, size: raw.length }, body, (err, result) => (err ? reject(err) : resolve(result))),
      )
      this.messagesSent++
      const rejected = new Map<string, unknown>()
      for (const e of info.rejectedErrors ?? []) rejected.set((e as { recipient?: string }).recipient ?? '', e)
      return recipients.map((recipient) => {
        const err = rejected.get(recipient)
        if (err) return { recipient, ...outcomeFromError(err, this.target, this.relay, this.tlsVersion) }
        return { recipient, kind: 'sent' as const, relay: this.relay, reply: info.response.trim(), dsn: enhancedCodeOf(info.response) ?? '2.0.0', tls: this.tlsVersion, cause: null }
      })
    } catch (err) {
      if (cut.signal.aborted) {
        return forEach(recipients, aborted(this.relay, this.tlsVersion, handedOver ? ABORTED_AFTER_DATA : ABORTED_REPLY))
      }
      const perRecipient = new Map<string, unknown>()
      for (const e of (err as { rejectedErrors?: unknown[] }).rejectedErrors ?? []) perRecipient.set((e as { recipient?: string }).recipient ?? '', e)
      const whole = outcomeFromError(err, this.target, this.relay, this.tlsVersion, true)
      // After a failed transaction the session is in an unknown state; a fresh one is cheaper than a guess.
      this.close()
      return recipients.map((recipient) => {
        const e = perRecipient.get(recipient)
        return { recipient, ...(e ? outcomeFromError(e, this.target, this.relay, this.tlsVersion) : whole) }
      })
    } finally {
      clearTimeout(grace)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.conn.quit()
    } catch {
      // The socket may already be gone; closing is all that is wanted.
    }
    this.conn.close()
  }
}
