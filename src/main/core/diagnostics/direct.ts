import type { Check, CheckId } from '../../../shared/diagnostics.ts'
import { DnsLookupError, resolveMailHosts, type MxHost } from '../delivery/mx.ts'
import { judgeCertificate } from './certificate.ts'
import { check, isRoutable, type CheckGroup, type DiagnosticsContext } from './run.ts'
import { addressInEhlo, capabilities, ProbeError, replyText, SmtpProbe } from './smtp-probe.ts'

// The direct checks (Relay Host blank): the recipient domain's MX hosts, as
// direct delivery finds them (delivery/mx.ts); whether their port 25 answers
// from here, which many firewalls and providers block; and whether the one
// that answers offers STARTTLS with a certificate that holds. Nothing is sent.

export const DIRECT_CHECKS = {
  'direct.mx': 'Mail servers (MX) of the recipient domain',
  'direct.port25': 'Outgoing port 25 to them',
  'direct.starttls': "STARTTLS at the recipient's mail server",
} as const satisfies Partial<Record<CheckId, string>>

/** Each step's own limit; at most this many MX addresses are tried, side by side. */
export const DIRECT_LIMITS = { mxMs: 8000, connectMs: 5000, greetingMs: 7000, commandMs: 5000, tlsMs: 5000, addresses: 4 }

export const directChecks: CheckGroup = {
  checks: DIRECT_CHECKS,
  learnsOutgoing: true,
  run: (ctx) => runDirect(ctx),
}

function skipAll(ids: (keyof typeof DIRECT_CHECKS)[], summary: string): Check[] {
  return ids.map((id) => check(id, DIRECT_CHECKS[id], 'skip', summary, Date.now()))
}

async function* runDirect(ctx: DiagnosticsContext): AsyncGenerator<Check> {
  const domain = ctx.recipientDomain
  if (!domain) {
    return yield* skipAll(['direct.mx', 'direct.port25', 'direct.starttls'], 'Not checked: name a recipient domain (where your mail goes) to look up its mail servers.')
  }
  const mx = await mxCheck(ctx, domain)
  yield mx.check
  if (!mx.hosts) return yield* skipAll(['direct.port25', 'direct.starttls'], `Not checked: no mail server of ${domain} was found.`)
  const reached = await port25Check(ctx, domain, mx.hosts)
  yield reached.check
  if (!reached.probe) return yield* skipAll(['direct.starttls'], 'Not checked: no mail server answered on the port.')
  try {
    yield await starttlsCheck(ctx, reached.probe, reached.host)
  } catch (err) {
    if (!(err instanceof ProbeError && err.kind === 'aborted')) throw err
  } finally {
    reached.probe.close()
  }
}

// ── direct.mx ─────────────────────────────────────────────────────────
async function mxCheck(ctx: DiagnosticsContext, domain: string): Promise<{ check: Check; hosts: MxHost[] | null }> {
  const started = Date.now()
  const id = 'direct.mx'
  const title = DIRECT_CHECKS[id]
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DnsLookupError('ETIMEOUT', `no answer within ${DIRECT_LIMITS.mxMs / 1000} s`)), DIRECT_LIMITS.mxMs)
  })
  try {
    const hosts = await Promise.race([resolveMailHosts(ctx.resolver, domain), timeout])
    const detail = hosts.map((h) => `${h.host}: ${h.addresses.join(', ') || '(no address)'}`).join('\n')
    const own = hosts.length === 1 && hosts[0]!.host === domain
    const summary = own
      ? `${domain} has no MX record: mail goes to its own address (${hosts[0]!.addresses.join(', ')}).`
      : `${domain} has ${hosts.length} mail server${hosts.length === 1 ? '' : 's'}: ${hosts.map((h) => h.host).join(', ')}.`
    return { check: check(id, title, 'pass', summary, started, { detail }), hosts }
  } catch (err) {
    if (!(err instanceof DnsLookupError)) throw err
    const detail = `${err.code}: ${err.message}`
    const fail = (summary: string, fix: string) => ({ check: check(id, title, 'fail', summary, started, { fix, detail }), hosts: null })
    switch (err.code) {
      case 'NULLMX':
        return fail(`${domain} publishes a null MX record: it accepts no mail at all.`, 'Check the recipient domain: no mail to it can be delivered.')
      case 'ENOTFOUND':
        return fail(`${domain} does not exist in DNS.`, 'Check the spelling of the recipient domain.')
      case 'ENOADDR':
        return fail(`The mail servers of ${domain} have no address in DNS.`, `The domain's DNS is broken: mail to it cannot be delivered until its administrator fixes it.`)
      default:
        return fail(`The DNS lookup of ${domain}'s mail servers failed (${err.code}): the DNS server did not answer as it should.`, "Check this workstation's network and DNS servers; direct delivery cannot find a recipient's server without DNS.")
    }
  } finally {
    clearTimeout(timer)
  }
}

// ── direct.port25 ─────────────────────────────────────────────────────
interface Attempt {
  host: string
  address: string
  outcome: 'greeted' | 'refused' | 'timeout' | 'silent' | 'other'
  said: string
  ms: number
  probe: SmtpProbe | null
}

async function attempt(ctx: DiagnosticsContext, host: string, address: string): Promise<Attempt> {
  const started = Date.now()
  const base = { host, address, probe: null }
  let probe: SmtpProbe
  try {
    probe = await SmtpProbe.connect({ host: address, port: ctx.directPort, timeoutMs: DIRECT_LIMITS.connectMs, signal: ctx.signal, transcript: [] })
  } catch (err) {
    if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
    const outcome = err.kind === 'refused' ? 'refused' : err.kind === 'timeout' ? 'timeout' : 'other'
    return { ...base, outcome, said: err.message, ms: Date.now() - started }
  }
  try {
    const greeting = await probe.read(DIRECT_LIMITS.greetingMs)
    const ms = Date.now() - started
    if (greeting.code === 220) return { ...base, outcome: 'greeted', said: replyText(greeting), ms, probe }
    probe.close()
    return { ...base, outcome: 'other', said: replyText(greeting), ms }
  } catch (err) {
    probe.close()
    if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
    return { ...base, outcome: err.kind === 'timeout' ? 'silent' : 'other', said: err.message, ms: Date.now() - started }
  }
}

async function port25Check(ctx: DiagnosticsContext, domain: string, hosts: MxHost[]): Promise<{ check: Check; probe: SmtpProbe | null; host: string }> {
  const started = Date.now()
  const id = 'direct.port25'
  const title = DIRECT_CHECKS[id]
  const port = ctx.directPort
  const targets = hosts.flatMap((h) => h.addresses.map((address) => ({ host: h.host, address }))).slice(0, DIRECT_LIMITS.addresses)
  const attempts = await Promise.all(targets.map((t) => attempt(ctx, t.host, t.address)))
  // The first by MX preference that greeted goes on to STARTTLS; the others are let go.
  const chosen = attempts.find((a) => a.outcome === 'greeted') ?? null
  for (const a of attempts) if (a !== chosen) void a.probe?.quit(DIRECT_LIMITS.commandMs)
  const detail = attempts.map((a) => `${a.host}[${a.address}]:${port}: ${a.outcome} after ${a.ms} ms: ${a.said}`).join('\n')
  if (chosen) {
    const others = attempts.length - attempts.filter((a) => a.outcome === 'greeted').length
    const summary = `${chosen.host}[${chosen.address}]:${port} answered in ${chosen.ms} ms${others ? ` (${others} other address${others === 1 ? '' : 'es'} did not; delivery tries the next)` : ''}.`
    return { check: check(id, title, 'pass', summary, started, { detail }), probe: chosen.probe, host: chosen.host }
  }
  const blocked = `Outgoing port ${port} is often blocked by firewalls and internet providers.`
  const fix = `Open outgoing port ${port} in the firewall (or ask the internet provider), or send through a relay: enter a Relay Host (port 587 with STARTTLS usually works).`
  let summary: string
  if (attempts.every((a) => a.outcome === 'timeout')) summary = `No mail server of ${domain} answered on port ${port} within ${DIRECT_LIMITS.connectMs / 1000} s. ${blocked}`
  else if (attempts.every((a) => a.outcome === 'refused')) summary = `Every mail server of ${domain} refused port ${port}: nothing listens there, or a firewall on the way rejects it. ${blocked}`
  else if (attempts.every((a) => a.outcome === 'silent')) summary = `The mail servers of ${domain} accepted port ${port} but sent no greeting: something on the way (a firewall or antivirus proxy) holds the connection.`
  else summary = `No mail server of ${domain} greeted on port ${port} (${[...new Set(attempts.map((a) => a.outcome))].join(', ')}).`
  return { check: check(id, title, 'fail', summary, started, { fix, field: 'relayHost', detail }), probe: null, host: domain }
}

// ── direct.starttls ───────────────────────────────────────────────────
async function starttlsCheck(ctx: DiagnosticsContext, probe: SmtpProbe, host: string): Promise<Check> {
  const started = Date.now()
  const id = 'direct.starttls'
  const title = DIRECT_CHECKS[id]
  const s = ctx.settings
  const c = (verdict: Check['verdict'], summary: string, extra: Pick<Check, 'fix' | 'field' | 'detail'> = {}) =>
    check(id, title, verdict, summary, started, { ...extra, detail: [extra.detail, probe.transcript.join('\n')].filter(Boolean).join('\n\n') })
  const ehlo = await probe.command(`EHLO ${s.hostname}`, DIRECT_LIMITS.commandMs)
  if (ehlo.code !== 250) {
    await probe.quit(DIRECT_LIMITS.commandMs)
    return c('fail', `${host} refused EHLO ${s.hostname}: "${replyText(ehlo)}".`, { fix: "Set Hostname to this system's fully qualified name, one that resolves in DNS.", field: 'hostname' })
  }
  const address = addressInEhlo(ehlo)
  if (address) ctx.noteOutgoing({ address, seenBy: `MX ${host}`, routable: isRoutable(address) })
  if (!capabilities(ehlo).has('STARTTLS')) {
    await probe.quit(DIRECT_LIMITS.commandMs)
    if (s.useTls) {
      return c('fail', `${host} offers no STARTTLS, and Use TLS requires it for direct delivery: mail to it stays queued.`, {
        fix: 'Turn Use TLS off for direct delivery (STARTTLS is still used wherever offered), or send through a relay (Relay Host).',
        field: 'useTls',
      })
    }
    return c('warn', `${host} offers no STARTTLS: mail to it crosses the Internet unencrypted.`, { fix: 'If that matters, send through a relay (Relay Host) that encrypts onward.', field: 'relayHost' })
  }
  const reply = await probe.command('STARTTLS', DIRECT_LIMITS.commandMs)
  let failure: string | null = reply.code === 220 ? null : `it answered "${replyText(reply)}"`
  if (!failure) {
    try {
      await probe.handshake({ host, caPem: s.verifyCertificate ? s.caPem : '', timeoutMs: DIRECT_LIMITS.tlsMs })
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err
      failure = err.message.split('\n')[0]!.replace(/\.$/, '')
    }
  }
  await probe.quit(DIRECT_LIMITS.commandMs)
  if (failure) {
    return s.useTls
      ? c('fail', `${host} offers STARTTLS, but the TLS upgrade failed (${failure}), and Use TLS requires it.`, { fix: 'Turn Use TLS off for direct delivery, or send through a relay (Relay Host).', field: 'useTls' })
      : c('warn', `${host} offers STARTTLS, but the TLS upgrade failed (${failure}): mail to it goes unencrypted.`)
  }
  const verified = s.useTls && s.verifyCertificate
  const j = judgeCertificate(probe.tls!, { host, verified, notVerifiedBecause: 'Use TLS is off (direct delivery then takes any certificate)', caGiven: false, direct: true, now: Date.now() })
  const summary = `${host} offers STARTTLS (${probe.tls!.protocol ?? 'TLS'}). ${j.summary}`
  return c(j.verdict, summary, { ...(j.fix ? { fix: j.fix } : {}), ...(j.field ? { field: j.field } : {}), detail: j.detail })
}
