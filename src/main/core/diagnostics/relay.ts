import type { Check, CheckId } from '../../../shared/diagnostics.ts'
import { effectiveRelayPort, effectiveTls, type EffectiveTls, type SettingsFields } from '../../../shared/settings.ts'
import { answersTls } from '../delivery/tls-probe.ts'
import { decodeFailure } from '../errors/decoder.ts'
import { judgeCertificate } from './certificate.ts'
import { senderCheck } from './relay-sender.ts'
import { check, isRoutable, type CheckGroup, type DiagnosticsContext } from './run.ts'
import { addressInEhlo, capabilities, ProbeError, replyText, SmtpProbe, type Reply } from './smtp-probe.ts'

// The relay checks (Relay Host set): one connection walked step by step as
// delivery would walk it — TCP, greeting and EHLO, TLS, certificate, sign-in,
// MAIL FROM and RCPT TO — each step judged against the settings, then RSET
// and QUIT. There is no DATA: nothing is ever sent.

export const RELAY_CHECKS = {
  'relay.tcp': 'Relay reachable',
  'relay.banner': 'Relay greeting and capabilities',
  'relay.tls': 'TLS mode against the port',
  'relay.certificate': 'Relay certificate',
  'relay.auth': 'Sign-in (SASL)',
  'relay.sender': 'Relay accepts mail from this system',
} as const satisfies Partial<Record<CheckId, string>>

type RelayId = keyof typeof RELAY_CHECKS

/** Each step's own limit; the greeting also honours a shorter Greeting timeout. */
export const RELAY_LIMITS = { connectMs: 5000, greetingMs: 7000, commandMs: 5000, tlsMs: 5000, tlsProbeMs: 3000 }

const ORDER = Object.keys(RELAY_CHECKS) as RelayId[]

export const relayChecks: CheckGroup = {
  checks: RELAY_CHECKS,
  learnsOutgoing: true,
  run: (ctx) => new RelayRun(ctx).run(),
}

/** What the port speaks, found whatever the settings say. */
type Speaks = 'plain' | 'implicit'

class RelayRun {
  private readonly ctx: DiagnosticsContext
  private readonly s: SettingsFields
  private readonly host: string
  private readonly port: number
  private readonly mode: EffectiveTls
  private readonly where: string
  private readonly transcript: string[] = []
  private probe: SmtpProbe | null = null
  private caps = new Map<string, string[]>()

  constructor(ctx: DiagnosticsContext) {
    this.ctx = ctx
    this.s = ctx.settings
    this.host = this.s.relayHost
    this.port = effectiveRelayPort(this.s)
    this.mode = effectiveTls(this.s)
    this.where = `${this.host}:${this.port}`
  }

  private get limits() {
    return { ...RELAY_LIMITS, greetingMs: Math.min(RELAY_LIMITS.greetingMs, this.s.greetingTimeoutSec * 1000), connectMs: Math.min(RELAY_LIMITS.connectMs, this.s.connectionTimeoutSec * 1000) }
  }

  private skip(after: RelayId, summary: string): Check[] {
    return ORDER.slice(ORDER.indexOf(after) + 1).map((id) => check(id, RELAY_CHECKS[id], 'skip', summary, Date.now()))
  }

  private connect(): Promise<SmtpProbe> {
    return SmtpProbe.connect({ host: this.host, port: this.port, timeoutMs: this.limits.connectMs, signal: this.ctx.signal, transcript: this.transcript })
  }

  private tlsOptions() {
    return { host: this.host, caPem: this.s.verifyCertificate ? this.s.caPem : '', timeoutMs: this.limits.tlsMs }
  }

  async *run(): AsyncGenerator<Check> {
    try {
      yield* this.steps()
    } catch (err) {
      // Stopped by the run's bound: the runner reports what is left.
      if (!(err instanceof ProbeError && err.kind === 'aborted')) throw err
    } finally {
      this.probe?.close()
    }
  }

  private async *steps(): AsyncGenerator<Check> {
    const tcp = await this.tcp()
    yield tcp
    if (tcp.verdict === 'fail') return yield* this.skip('relay.tcp', 'Not checked: the relay could not be reached.')

    const banner = await this.banner()
    yield banner.check
    if (!banner.speaks) return yield* this.skip('relay.banner', 'Not checked: the relay did not greet.')

    const tls = await this.tls(banner.speaks)
    yield tls
    yield this.certificate()
    if (!this.probe) return yield* this.skip('relay.certificate', 'Not checked: the TLS handshake failed, so the session could not go on.')

    const auth = await this.auth()
    yield auth
    if (this.s.useSasl && auth.verdict !== 'pass') return yield* this.skip('relay.auth', 'Not checked: the sign-in did not succeed, and the relay is asked only as the settings would send.')
    yield await this.sender()
  }

  // ── relay.tcp ───────────────────────────────────────────────────────
  private async tcp(): Promise<Check> {
    const started = Date.now()
    try {
      this.probe = await this.connect()
      const ms = Date.now() - started
      return check('relay.tcp', RELAY_CHECKS['relay.tcp'], 'pass', `${this.where} accepted the connection in ${ms} ms${this.probe.remoteAddress && this.probe.remoteAddress !== this.host ? ` (${this.probe.remoteAddress})` : ''}.`, started)
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
      const [summary, extra] = this.tcpFailure(err)
      return check('relay.tcp', RELAY_CHECKS['relay.tcp'], 'fail', summary, started, extra)
    }
  }

  private tcpFailure(err: ProbeError): [string, Pick<Check, 'fix' | 'field' | 'detail'>] {
    const detail = `${err.code ?? err.kind}: ${err.message}`
    const ports = 'SMTP relays listen on 587 (STARTTLS), 465 (implicit TLS) or 25'
    switch (err.kind) {
      case 'refused':
        return [
          `${this.where} refused the connection: nothing listens on port ${this.port} there, or a firewall rejects it.`,
          { fix: `Check Relay Port against what the relay's provider documents (${ports}).`, field: 'relayPort', detail },
        ]
      case 'timeout':
        return [
          `${this.where} did not answer within ${this.limits.connectMs / 1000} s: a firewall or the internet provider is dropping connections to port ${this.port}, or the host is down.`,
          { fix: `Make sure the firewall and the internet provider allow outgoing connections to port ${this.port}; some block 25, so 587 with STARTTLS is the usual way out.`, field: 'relayPort', detail },
        ]
      case 'dns':
        return [`The Relay Host name ${this.host} was not found in DNS.`, { fix: "Check the spelling of Relay Host, or enter the relay's IP address.", field: 'relayHost', detail }]
      case 'unreachable':
        return [`${this.host} cannot be reached from here: there is no network route to it.`, { fix: 'Check that this workstation is online and that Relay Host is right.', field: 'relayHost', detail }]
      default:
        return [`The connection to ${this.where} failed: ${err.message}`, { fix: 'Check Relay Host and Relay Port.', field: 'relayHost', detail }]
    }
  }

  // ── relay.banner ────────────────────────────────────────────────────
  private async banner(): Promise<{ check: Check; speaks: Speaks | null }> {
    const started = Date.now()
    const id = 'relay.banner'
    const title = RELAY_CHECKS[id]
    const greeted = await this.greet()
    if ('failure' in greeted) return { check: check(id, title, 'fail', greeted.failure, started, { ...greeted.extra, detail: this.transcriptText() }), speaks: null }
    const { greeting, speaks, plainSilent } = greeted
    if (greeting.code !== 220) {
      return {
        check: check(id, title, 'fail', `${this.where} answered "${replyText(greeting)}" instead of a greeting: it refuses this connection.`, started, {
          fix: "The reply says why (often this workstation's address is not allowed): ask the relay's administrator.",
          detail: this.transcriptText(),
        }),
        speaks: null,
      }
    }
    const ehlo = await this.ehlo()
    if (ehlo.code !== 250) {
      return {
        check: check(id, title, 'fail', `${this.where} refused EHLO ${this.s.hostname}: "${replyText(ehlo)}".`, started, {
          fix: 'Set Hostname to this system\'s fully qualified name, one that resolves in DNS.',
          field: 'hostname',
          detail: this.transcriptText(),
        }),
        speaks: null,
      }
    }
    this.learnOutgoing(ehlo)
    const offered = this.offered()
    const detail = [`Greeting: ${replyText(greeting)}`, `EHLO: ${ehlo.lines.slice(1).join(', ') || '(no extensions)'}`, '', this.transcriptText()].join('\n')
    if (plainSilent) {
      const fix = this.mode === 'opportunistic' ? `Turn on Use TLS with TLS mode Implicit TLS (Automatic picks it for port 465).` : 'Set TLS mode to Implicit TLS.'
      return {
        // A warning here: relay.tls is the failure, with its fix; one cause is counted once.
        check: check(id, title, 'warn', `${this.where} sent no greeting to a plain connection within ${this.limits.greetingMs / 1000} s: the port speaks implicit TLS. Over TLS it greets "${replyText(greeting)}" and offers ${offered}.`, started, {
          fix,
          field: this.mode === 'opportunistic' ? 'useTls' : 'tlsMode',
          detail,
        }),
        speaks,
      }
    }
    const size = Number(this.caps.get('SIZE')?.[0])
    if (size > 0 && size < this.s.maxMessageSizeBytes) {
      return {
        check: check(id, title, 'warn', `${this.where} greets and offers ${offered}, but takes messages only up to ${mib(size)}, less than the Message size limit (${mib(this.s.maxMessageSizeBytes)}).`, started, {
          fix: `Set Message size limit to ${mib(size)} or less, so a message the relay would refuse is refused at once, not queued.`,
          field: 'maxMessageSizeBytes',
          detail,
        }),
        speaks,
      }
    }
    return { check: check(id, title, 'pass', `${this.where} greets "${replyText(greeting)}" and offers ${offered}.`, started, { detail }), speaks }
  }

  /** The greeting, trying what the settings use first, and telling a silent port from one that speaks implicit TLS. */
  private async greet(): Promise<{ greeting: Reply; speaks: Speaks; plainSilent: boolean } | { failure: string; extra: Pick<Check, 'fix' | 'field'> }> {
    const probe = this.probe!
    const greetingMs = this.limits.greetingMs
    if (this.mode === 'implicit') {
      try {
        await probe.handshake(this.tlsOptions())
      } catch (err) {
        if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
        if (err.kind === 'timeout') return this.silent(err, 'handshake')
        // A plain server greets in clear, which a TLS client reads as a broken handshake: ask again in plain.
        probe.close()
        this.probe = await this.connect()
        return this.greetPlain(greetingMs, false)
      }
      try {
        return { greeting: await probe.read(greetingMs), speaks: 'implicit', plainSilent: false }
      } catch (err) {
        if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
        return this.silent(err, 'greeting')
      }
    }
    return this.greetPlain(greetingMs, true)
  }

  private async greetPlain(greetingMs: number, probeTls: boolean): Promise<{ greeting: Reply; speaks: Speaks; plainSilent: boolean } | { failure: string; extra: Pick<Check, 'fix' | 'field'> }> {
    try {
      return { greeting: await this.probe!.read(greetingMs), speaks: 'plain', plainSilent: false }
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
      if (err.kind !== 'timeout' || !probeTls) return this.silent(err, 'greeting')
      this.probe!.close()
      this.probe!.note(`*  No greeting within ${greetingMs / 1000} s: asking the port for a TLS handshake.`)
      const speaksTls = await answersTls({ host: this.host, port: this.port }, this.limits.tlsProbeMs, this.ctx.signal)
      if (!speaksTls) return this.silent(err, 'greeting')
      this.probe = await this.connect()
      try {
        await this.probe.handshake(this.tlsOptions())
        return { greeting: await this.probe.read(greetingMs), speaks: 'implicit', plainSilent: true }
      } catch (e) {
        if (!(e instanceof ProbeError) || e.kind === 'aborted') throw e
        return this.silent(e, 'greeting')
      }
    }
  }

  private silent(err: ProbeError, during: 'greeting' | 'handshake'): { failure: string; extra: Pick<Check, 'fix' | 'field'> } {
    if (err.kind === 'timeout') {
      return {
        failure:
          during === 'handshake'
            ? `${this.where} accepted the connection but did not answer the TLS handshake within ${this.limits.tlsMs / 1000} s, nor greet.`
            : `${this.where} accepted the connection but sent no greeting within ${this.limits.greetingMs / 1000} s, and does not answer TLS either: it is not a working SMTP server, or something on the way holds the connection.`,
        extra: { fix: 'Check Relay Host and Relay Port (587, 465 or 25 as the provider documents), and that no firewall or antivirus proxy intercepts the port.', field: 'relayPort' },
      }
    }
    return {
      failure: `${this.where} closed the connection without a greeting (${err.message})${this.probe?.encrypted ? ', after the TLS handshake' : ''}.`,
      extra: { fix: "Check Relay Port: the relay may be refusing connections from this workstation's address; its administrator can tell.", field: 'relayPort' },
    }
  }

  private async ehlo(): Promise<Reply> {
    const reply = await this.probe!.command(`EHLO ${this.s.hostname}`, this.limits.commandMs)
    if (reply.code === 250) this.caps = capabilities(reply)
    return reply
  }

  private offered(): string {
    const named = ['STARTTLS', 'AUTH', 'SIZE', '8BITMIME', 'PIPELINING', 'SMTPUTF8']
    const have = named.filter((k) => this.caps.has(k)).map((k) => {
      const params = this.caps.get(k)!
      if (k === 'SIZE' && Number(params[0]) > 0) return `SIZE ${mib(Number(params[0]))}`
      return [k, ...params].join(' ')
    })
    const lacking = named.filter((k) => !this.caps.has(k))
    if (!have.length) return 'none of STARTTLS, AUTH, SIZE, 8BITMIME, PIPELINING, SMTPUTF8'
    return `${have.join(', ')}${lacking.length ? ` (not ${lacking.join(', ')})` : ''}`
  }

  private learnOutgoing(ehlo: Reply): void {
    const address = addressInEhlo(ehlo)
    if (address) this.ctx.noteOutgoing({ address, seenBy: `relay ${this.where}`, routable: isRoutable(address) })
  }

  // ── relay.tls ───────────────────────────────────────────────────────
  private tlsFailure: string | null = null

  private async tls(speaks: Speaks): Promise<Check> {
    const started = Date.now()
    const id = 'relay.tls'
    const title = RELAY_CHECKS[id]
    const p = this.port
    const c = (verdict: Check['verdict'], summary: string, extra: Pick<Check, 'fix' | 'field' | 'detail'> = {}) => check(id, title, verdict, summary, started, extra)
    if (speaks === 'implicit') {
      const version = this.probe!.tls?.protocol ?? 'TLS'
      if (this.mode === 'implicit') return c('pass', `Port ${p} speaks implicit TLS (${version}), as the settings use it.`)
      if (this.mode === 'starttls') return c('fail', `Port ${p} speaks implicit TLS, but the settings use STARTTLS: set TLS mode to Implicit TLS, or use port 587.`, { fix: 'Set TLS mode to Implicit TLS, or set Relay Port to 587 with STARTTLS.', field: 'tlsMode' })
      return c('fail', `Port ${p} speaks implicit TLS, but Use TLS is off.`, { fix: `Turn on Use TLS with TLS mode Implicit TLS${p === 465 ? ' (Automatic picks it for port 465)' : ''}.`, field: 'useTls' })
    }
    const offersStarttls = this.caps.has('STARTTLS')
    if (!offersStarttls) {
      const use = 'Set Relay Port to the relay\'s TLS port (587 with STARTTLS, or 465 with implicit TLS) as its provider documents.'
      if (this.mode === 'implicit') return c('fail', `Port ${p} speaks plain SMTP and offers no STARTTLS, but the settings use implicit TLS.`, { fix: use, field: 'relayPort' })
      if (this.mode === 'starttls') return c('fail', `Port ${p} offers no STARTTLS, and Use TLS requires it: no mail can go this way.`, { fix: use, field: 'relayPort' })
      return c('warn', `Port ${p} offers no TLS: mail, and any login, would cross the network unencrypted.`, { fix: `${use} Then turn on Use TLS, so encryption is required.`, field: 'relayPort' })
    }
    // Upgraded whatever the settings say: the certificate and the sign-in are then checked as they will be once the mode is right.
    const upgrade = await this.starttls()
    const version = this.probe?.tls?.protocol ?? 'TLS'
    if (upgrade) {
      this.tlsFailure = upgrade
      const verdict = this.mode === 'opportunistic' && !(this.s.useSasl && !this.s.allowPlainAuth) ? 'warn' : 'fail'
      const after = verdict === 'warn' ? ' Mail goes unencrypted, as opportunistic TLS falls back.' : ''
      return c(verdict, `Port ${p} offers STARTTLS, but the TLS upgrade failed: ${upgrade}.${after}`, {
        fix: "The relay's TLS does not work with this workstation (TLS 1.2 or later is required): ask the relay's administrator, or try its implicit TLS port 465.",
        detail: this.transcriptText(),
      })
    }
    if (this.mode === 'implicit') return c('fail', `Port ${p} offers STARTTLS but the settings use implicit TLS: set TLS mode to STARTTLS, or use port 465.`, { fix: 'Set TLS mode to STARTTLS (Automatic picks it on every port but 465), or set Relay Port to 465.', field: 'tlsMode' })
    if (this.mode === 'starttls') return c('pass', `Port ${p} offers STARTTLS, as the settings use it; the session was encrypted with ${version}.`)
    return c('pass', `Port ${p} offers STARTTLS; with Use TLS off it is used wherever offered, and the session was encrypted with ${version}.`, {
      fix: 'Turning on Use TLS would make encryption required rather than taken when offered.',
    })
  }

  /** STARTTLS, then EHLO again; the failure in words, or null. */
  private async starttls(): Promise<string | null> {
    try {
      const reply = await this.probe!.command('STARTTLS', this.limits.commandMs)
      if (reply.code !== 220) return `it answered "${replyText(reply)}"`
      await this.probe!.handshake(this.tlsOptions())
      const ehlo = await this.ehlo()
      if (ehlo.code !== 250) return `EHLO after STARTTLS was answered "${replyText(ehlo)}"`
      return null
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
      this.probe?.close()
      this.probe = null
      return err.message.split('\n')[0]!.replace(/\.$/, '')
    }
  }

  // ── relay.certificate ───────────────────────────────────────────────
  /** Whether delivery verifies the relay's certificate, as session.ts decides. */
  private get verified(): boolean {
    const guardsPassword = this.s.useSasl && !this.s.allowPlainAuth
    return this.s.verifyCertificate && (this.mode !== 'opportunistic' || guardsPassword)
  }

  private certificate(): Check {
    const started = Date.now()
    const id = 'relay.certificate'
    const title = RELAY_CHECKS[id]
    const facts = this.probe?.tls
    if (!facts) {
      const why = this.tlsFailure ? 'the TLS handshake failed, so no certificate was received' : 'the connection is not encrypted, so there is no certificate to check'
      return check(id, title, 'skip', `Not checked: ${why}.`, started)
    }
    const j = judgeCertificate(facts, {
      host: this.host,
      verified: this.verified,
      notVerifiedBecause: !this.s.verifyCertificate ? 'Verify certificate is off' : 'Use TLS is off (opportunistic TLS is not verified when no password goes over it)',
      verifyOff: !this.s.verifyCertificate,
      caGiven: this.s.verifyCertificate && this.s.caPem.trim() !== '',
      direct: false,
      now: Date.now(),
    })
    return check(id, title, j.verdict, j.summary, started, j)
  }

  // ── relay.auth ──────────────────────────────────────────────────────
  private async auth(): Promise<Check> {
    const started = Date.now()
    const id = 'relay.auth'
    const title = RELAY_CHECKS[id]
    const mechanisms = this.caps.get('AUTH') ?? []
    const offered = mechanisms.length ? `the relay offers AUTH ${mechanisms.join(' ')}` : 'the relay offers no AUTH'
    const c = (verdict: Check['verdict'], summary: string, extra: Pick<Check, 'fix' | 'field'> = {}) =>
      check(id, title, verdict, summary, started, { ...extra, detail: this.transcriptText() })
    if (!this.s.useSasl) return c('skip', `Use SASL Authorization is off, so no sign-in is tried; ${offered}.`)
    const probe = this.probe!
    if (!probe.encrypted && !this.s.allowPlainAuth) {
      return c('fail', 'The connection is not encrypted, so the Password was not sent: the console never signs in without TLS.', {
        fix: "Set Relay Port to the relay's TLS port (587 with STARTTLS, or 465 with implicit TLS) and turn on Use TLS.",
        field: 'relayPort',
      })
    }
    if (probe.encrypted && this.s.verifyCertificate && !probe.tls!.authorized) {
      return c('fail', `The Password was not sent: the certificate of ${this.host} did not verify (${probe.tls!.authorizationError ?? 'untrusted'}), and the password goes only to a verified server.`, {
        fix: "Give the relay's CA certificate under Advanced (CA certificate), or set Relay Host to the name on its certificate; see Relay certificate.",
        field: 'caPem',
      })
    }
    if (!mechanisms.length) {
      return c('fail', `Use SASL Authorization is on, but ${offered} on port ${this.port}${probe.encrypted ? ', even after TLS' : ''}.`, {
        fix: 'If this relay needs no login, turn Use SASL Authorization off; otherwise check Relay Port (587 usually offers login, 25 often does not).',
        field: 'useSasl',
      })
    }
    if (this.s.authMethod !== 'password') return this.oauthAuth(mechanisms, offered, c)
    const mechanism = (['PLAIN', 'LOGIN', 'CRAM-MD5'] as const).find((m) => mechanisms.includes(m))
    if (!mechanism) {
      return c('warn', `${offered[0]!.toUpperCase()}${offered.slice(1)}: none of PLAIN, LOGIN or CRAM-MD5, which the console signs in with.`, {
        fix: "Ask the relay's provider for a submission port that takes a Username and Password (PLAIN or LOGIN over TLS).",
        field: 'relayPort',
      })
    }
    const password = await this.ctx.password()
    if (!password) return c('fail', 'Use SASL Authorization is on, but no Password is set.', { fix: "Enter the relay's Password under Use SASL Authorization.", field: 'password' })
    if (!probe.encrypted) probe.note('*  Allow password without TLS (unsafe) is on: the Username and Password cross the network readable.')
    const reply = await probe.login(mechanism, this.s.username, password, this.limits.commandMs)
    const said = replyText(reply)
    if (reply.code === 235) return c('pass', `The relay accepted the Username and Password (AUTH ${mechanism}${probe.encrypted ? ` over ${probe.tls!.protocol ?? 'TLS'}` : ', without TLS'}).`)
    if (reply.code >= 400 && reply.code < 500) return c('warn', `The relay could not check the sign-in just now: "${said}".`, { fix: 'Run the checks again in a few minutes; if it stays, ask the relay\'s administrator.' })
    const decoded = decodeFailure({ message: said, response: said, responseCode: reply.code, command: `AUTH ${mechanism}` }, { phase: 'auth', host: this.host, port: this.port, saslConfigured: true })
    const appPassword = decoded.cause === 'auth-app-password-required'
    return c('fail', `The relay refused the Username and Password: "${said}".`, {
      fix: appPassword ? decoded.fix.replace(/ The message waits.*$/, '') : 'Check Username and Password; some providers want an app password, or the full email address as Username.',
      field: 'password',
    })
  }

  /** relay.auth for an OAuth 2.0 Sign-in method: XOAUTH2 offered, a token from the endpoint, the relay taking it. */
  private async oauthAuth(mechanisms: string[], offered: string, c: (verdict: Check['verdict'], summary: string, extra?: Pick<Check, 'fix' | 'field'>) => Check): Promise<Check> {
    const probe = this.probe!
    if (!mechanisms.includes('XOAUTH2')) {
      return c('fail', `The Sign-in method is OAuth 2.0, but ${offered} and not XOAUTH2.`, {
        fix: "Point Relay Host and Relay Port at the provider's submission server (smtp.office365.com or smtp.gmail.com, port 587), or choose the Password Sign-in method.",
        field: 'authMethod',
      })
    }
    let token: string
    try {
      token = await this.ctx.oauthToken()
    } catch (err) {
      const decoded = decodeFailure(err as Error, { phase: 'auth', host: this.host, port: this.port, saslConfigured: true })
      probe.note(`*  The token endpoint gave no access token: ${(err as Error).message}`)
      return c('fail', `No access token: ${decoded.summary}`, { fix: decoded.fix.replace(/ The message waits.*$/, ''), field: 'authMethod' })
    }
    const reply = await probe.loginXoauth2(this.s.username, token, this.limits.commandMs)
    const said = replyText(reply)
    const over = probe.encrypted ? ` over ${probe.tls!.protocol ?? 'TLS'}` : ', without TLS'
    if (reply.code === 235) return c('pass', `The relay accepted the access token for ${this.s.username} (AUTH XOAUTH2${over}).`)
    if (reply.code >= 400 && reply.code < 500) return c('warn', `The relay could not check the sign-in just now: "${said}".`, { fix: "Run the checks again in a few minutes; if it stays, ask the relay's administrator." })
    const decoded = decodeFailure({ message: said, response: said, responseCode: reply.code, command: 'AUTH XOAUTH2' }, { phase: 'auth', host: this.host, port: this.port, saslConfigured: true, signIn: 'oauth' })
    return c('fail', `The relay refused the access token for ${this.s.username}: "${said}".`, { fix: decoded.fix.replace(/ The message waits.*$/, ''), field: 'username' })
  }

  // ── relay.sender ────────────────────────────────────────────────────
  private async sender(): Promise<Check> {
    const probe = this.probe!
    this.probe = null
    return senderCheck(probe, this.ctx, { host: this.host, port: this.port, tls: this.mode, commandMs: this.limits.commandMs, title: RELAY_CHECKS['relay.sender'] })
  }

  private transcriptText(): string {
    return this.transcript.join('\n')
  }
}

function mib(bytes: number): string {
  const m = bytes / (1024 * 1024)
  return m >= 1 ? `${Number.isInteger(m) ? m : m.toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`
}
