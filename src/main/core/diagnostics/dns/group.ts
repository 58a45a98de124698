import { dkimSigningDomain } from '../../../../shared/dkim.ts'
import { presetForHost } from '../../../../shared/presets.ts'
import type { Check, CheckId } from '../../../../shared/diagnostics.ts'
import type { SettingsFields } from '../../../../shared/settings.ts'
import { type CheckGroup, type DiagnosticsContext, type OutgoingAddress } from '../run.ts'
import type { Blocklist, DkimKey, DnsCheckInput } from './input.ts'
import { DNS_CHECK_TIMEOUT_MS, DNS_CHECKS, withTimeout } from './run.ts'

// The DNS checks as a group of the run: the ones about names start at once;
// the ones about the outgoing address (reverse DNS, SPF, blocklists) wait for
// the Public address setting or for what the relay's or an MX's EHLO reply
// names, never past the run's bound.

/** The checks that judge the outgoing address, and so wait for it. */
const NEEDS_ADDRESS: ReadonlySet<CheckId> = new Set(['dns.ptr', 'dns.spf', 'dns.blocklist'])

/** Time kept after the wait for the address, so its checks still end in their own words before the run's bound. */
const AFTER_WAIT_MS = 2500

export interface DnsGroupOptions {
  /** The blocklists asked; absent: Spamhaus ZEN, Barracuda and SpamCop. */
  blocklists?: Blocklist[] | undefined
  /** DKIM signing as the settings have it (dkimKeyOf); absent: signing is off. */
  dkim?: DkimKey | undefined
  /** Each check's own limit; DNS_CHECK_TIMEOUT_MS by default. */
  timeoutMs?: number
}

/**
 * The DKIM key dns.dkim checks: the signing domain (DKIM Domain, or the From Address's domain when blank)
 * and selector of the settings, with the saved key's public half, or undefined while signing is off or no key is set.
 */
export function dkimKeyOf(settings: SettingsFields, publicKeyPem: string | null | undefined): DkimKey | undefined {
  const domain = dkimSigningDomain(settings)
  if (!settings.dkimEnabled || !publicKeyPem || !domain || !settings.dkimSelector) return undefined
  return { domain, selector: settings.dkimSelector, publicKeyPem, fields: { domain: 'dkimDomain', selector: 'dkimSelector' } }
}

export function dnsGroup(options: DnsGroupOptions = {}): CheckGroup {
  return {
    checks: Object.fromEntries(DNS_CHECKS.map((c) => [c.id, c.title])),
    run: (ctx) => runDns(ctx, options),
  }
}

/** Where the outgoing address came from, for the checks' detail. */
interface Known {
  address: string | null
  note: string
}

async function* runDns(ctx: DiagnosticsContext, options: DnsGroupOptions): AsyncGenerator<Check> {
  const relayHost = ctx.settings.relayHost.trim()
  const relay = relayHost ? { host: relayHost, spfInclude: presetForHost(relayHost)?.spfInclude ?? null } : undefined
  const base: Omit<DnsCheckInput, 'outgoingAddress'> = {
    relay,
    resolver: ctx.resolver,
    hostname: ctx.settings.hostname,
    fromAddress: ctx.settings.fromAddress,
    ...(options.dkim ? { dkim: options.dkim } : {}),
    ...(options.blocklists ? { blocklists: options.blocklists } : {}),
  }
  const limit = () => Math.max(200, Math.min(options.timeoutMs ?? DNS_CHECK_TIMEOUT_MS, ctx.deadline - Date.now() - 300))
  const results = new Channel<Check>()
  const pending: Promise<void>[] = []
  const start = (ids: (c: CheckId) => boolean, input: DnsCheckInput, note: string | null) => {
    for (const c of DNS_CHECKS.filter((d) => ids(d.id))) {
      pending.push(withTimeout(c, input, limit()).then((r) => results.push(throughRelay(note ? withNote(r, note) : r, relay))))
    }
  }

  start((id) => !NEEDS_ADDRESS.has(id), { ...base, outgoingAddress: null }, null)
  const known = await outgoingAddress(ctx)
  // Stopped by the run's bound: the runner reports the address checks as not checked.
  if (!ctx.signal.aborted) start((id) => NEEDS_ADDRESS.has(id), { ...base, outgoingAddress: known.address }, known.note)
  void Promise.all(pending).then(() => results.end())
  yield* results
}

/** The Public address setting, else what a relay or MX named (when the Internet could see it), else unknown. */
async function outgoingAddress(ctx: DiagnosticsContext): Promise<Known> {
  const configured = ctx.settings.publicAddress.trim()
  if (configured) return { address: configured, note: `Outgoing address: ${configured}, the Public address of the settings.` }
  const seen = await waitFor(ctx.outgoing, ctx.deadline - AFTER_WAIT_MS, ctx.signal)
  if (!seen) return { address: null, note: 'No relay or mail server named the address it sees this system connect from, and the Public address setting is blank.' }
  if (!seen.routable) {
    return { address: null, note: `The ${seen.seenBy} sees this system as ${seen.address}, a private address the Internet does not see; the address receivers see is not known.` }
  }
  return { address: seen.address, note: `Outgoing address: ${seen.address}, as the ${seen.seenBy} saw this system connect.` }
}

/** The outgoing address, or null once the run's time for waiting is up or the run stops. */
function waitFor(outgoing: Promise<OutgoingAddress | null>, until: number, signal: AbortSignal): Promise<OutgoingAddress | null> {
  return new Promise((resolve) => {
    const done = (a: OutgoingAddress | null) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', stop)
      resolve(a)
    }
    const stop = () => done(null)
    const timer = setTimeout(stop, Math.max(0, until - Date.now()))
    signal.addEventListener('abort', stop, { once: true })
    void outgoing.then(done)
  })
}

/**
 * Through a relay, receivers look up the relay's reverse DNS and blocklist entries, not this system's: what is
 * found for this system's address matters only if the relay itself checks it, so a problem there is a warning.
 */
function throughRelay(c: Check, relay: { host: string } | undefined): Check {
  if (!relay || (c.id !== 'dns.ptr' && c.id !== 'dns.blocklist') || c.verdict !== 'fail') return c
  return withNote({ ...c, verdict: 'warn' }, `Mail leaves through the relay ${relay.host}: receivers see its servers, so this matters only if the relay checks the address this system connects from.`)
}

function withNote(c: Check, note: string): Check {
  return { ...c, detail: c.detail ? `${note}\n${c.detail}` : note }
}

/** Checks pushed as they finish, read in that order by the group's generator. */
class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private ended = false
  private wake: (() => void) | null = null

  push(item: T): void {
    this.items.push(item)
    this.wake?.()
  }

  end(): void {
    this.ended = true
    this.wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!
      if (this.ended) return
      await new Promise<void>((resolve) => (this.wake = resolve))
      this.wake = null
    }
  }
}
