import type { Resolver } from 'node:dns/promises'
import { isIPv4, isIPv6 } from '../../../../shared/settings.ts'
import type { Check, CheckId } from '../../../../shared/diagnostics.ts'
import type { SettingsField } from '../../../../shared/labels.ts'

// What the DNS checks are given: the settings they check, the address the
// world sees this system send from (when known), and a resolver already
// pointed at the servers the engine uses.

export interface DkimKey {
  /** The d= domain the messages are signed for. */
  domain: string
  selector: string
  /** The public half of the signing key, PEM (SPKI). */
  publicKeyPem: string
  /** The settings "Fix" opens for the signing domain and for the selector (where Edit Settings shows the record to publish). */
  fields?: { domain?: string; selector?: string }
}

export interface Blocklist {
  /** The DNS zone queried, e.g. zen.spamhaus.org. */
  zone: string
  /** The list's name as the admin knows it. */
  name: string
  /** What each answer means, where the list documents it (Spamhaus); otherwise any 127.0.0.x is "listed". */
  codes?: Record<string, string>
  /** Answers that list an address by policy (a dynamic range), not for spam: a warn for direct sending. */
  policyCodes?: string[]
}

export interface DnsCheckInput {
  resolver: Resolver
  /** Hostname: the name this system gives itself, and its EHLO name. */
  hostname: string
  /** From Address: its domain is the sender domain (SPF, DMARC, bounces), as it is the envelope sender too. */
  fromAddress: string
  /** The address the relay or a recipient's MX sees; null when it cannot be known (never guessed). */
  outgoingAddress: string | null
  /**
   * Mail leaves through this relay: receivers see the relay's servers, not this system. `spfInclude` is the
   * provider's SPF include where a preset knows it; null for a relay the console does not know.
   */
  relay?: { host: string; spfInclude: string | null } | undefined
  /** The EHLO name when it differs from Hostname. */
  heloName?: string
  /** DKIM signing; absent when signing is off. */
  dkim?: DkimKey
  /** The blocklists asked; absent: Spamhaus ZEN, Barracuda and SpamCop. */
  blocklists?: Blocklist[]
}

/** Spamhaus ZEN's return codes (127.0.0.10 and .11 are the PBL: policy, not spam). */
export const SPAMHAUS_CODES: Record<string, string> = {
  '127.0.0.2': 'known spam source (SBL)',
  '127.0.0.3': 'spam source seen in snowshoe traffic (SBL CSS)',
  '127.0.0.4': 'infected or exploited machine (XBL)',
  '127.0.0.5': 'infected or exploited machine (XBL)',
  '127.0.0.6': 'infected or exploited machine (XBL)',
  '127.0.0.7': 'infected or exploited machine (XBL)',
  '127.0.0.9': 'hijacked network (DROP)',
  '127.0.0.10': 'address that should not send mail directly, as its provider says (PBL)',
  '127.0.0.11': 'dynamic or end-user address that should not send mail directly (PBL)',
}

export const DEFAULT_BLOCKLISTS: Blocklist[] = [
  { zone: 'zen.spamhaus.org', name: 'Spamhaus ZEN', codes: SPAMHAUS_CODES, policyCodes: ['127.0.0.10', '127.0.0.11'] },
  { zone: 'b.barracudacentral.org', name: 'Barracuda' },
  { zone: 'bl.spamcop.net', name: 'SpamCop' },
]

/** The settings keys a DNS check's "Fix" opens; each must be a real setting, or "Fix" would open nothing. */
export const FIELDS = {
  hostname: 'hostname',
  fromAddress: 'fromAddress',
  relayHost: 'relayHost',
  publicAddress: 'publicAddress',
} as const satisfies Record<string, SettingsField>

export type CheckBody = Omit<Check, 'id' | 'title' | 'ms'>

/** Runs one check and stamps its id, title and time; a throw becomes a warn rather than a missing check. */
export async function timed(id: CheckId, title: string, body: () => Promise<CheckBody>): Promise<Check> {
  const started = performance.now()
  let result: CheckBody
  try {
    result = await body()
  } catch (err) {
    result = { verdict: 'warn', summary: `The check could not finish: ${dnsCode(err)}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  return { id, title, ...result, ms: Math.round(performance.now() - started) }
}

/** The resolver's error code (ENOTFOUND, ENODATA, ETIMEOUT, ESERVFAIL, …). */
export function dnsCode(err: unknown): string {
  return (err as { code?: string } | null)?.code ?? (err instanceof Error ? err.message : String(err))
}

/** NXDOMAIN or an empty answer: the name has nothing of that type, which is an answer, not a failure. */
export function isNoRecord(code: string): boolean {
  return code === 'ENOTFOUND' || code === 'ENODATA'
}

/** The admin's words for a resolver failure. */
export function describeDnsError(code: string): string {
  switch (code) {
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return 'the DNS server did not answer in time'
    case 'ESERVFAIL':
      return 'the DNS server answered SERVFAIL (it could not get an answer)'
    case 'EREFUSED':
      return 'the DNS server refused the query'
    case 'ECONNREFUSED':
      return 'the DNS server could not be reached'
    default:
      return `the DNS lookup failed (${code})`
  }
}

/** The domain of a mailbox, lower-case, without a trailing dot. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@')
  return normalName(at >= 0 ? address.slice(at + 1) : address)
}

export function normalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '')
}

export type AddressFamily = 4 | 6

/** The family of an address; an IPv4-mapped IPv6 address (::ffff:192.0.2.1) counts as the IPv4 it carries. */
export function parseAddress(value: string): { address: string; family: AddressFamily } | null {
  const v = value.trim()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v)
  if (mapped && isIPv4(mapped[1]!)) return { address: mapped[1]!, family: 4 }
  if (isIPv4(v)) return { address: v, family: 4 }
  if (isIPv6(v)) return { address: v.replace(/^\[|\]$/g, '').toLowerCase(), family: 6 }
  return null
}

/** Names that never resolve on the Internet (RFC 6761, RFC 6762, RFC 8375 and common private suffixes). */
const PRIVATE_SUFFIXES = ['localhost', 'localdomain', 'local', 'lan', 'home', 'internal', 'intranet', 'corp', 'home.arpa', 'invalid']

export function isPrivateName(name: string): boolean {
  const n = normalName(name)
  return PRIVATE_SUFFIXES.some((s) => n === s || n.endsWith(`.${s}`))
}

/** The host's A or AAAA records; an empty list when there are none. Other failures throw. */
export async function addressesOf(resolver: Resolver, name: string, family: AddressFamily): Promise<string[]> {
  try {
    return family === 4 ? await resolver.resolve4(name) : await resolver.resolve6(name)
  } catch (err) {
    if (isNoRecord(dnsCode(err))) return []
    throw err
  }
}

/** TXT records of a name, each joined from its strings (RFC 7208 3.3); an empty list when there are none. */
export async function txtRecords(resolver: Resolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''))
  } catch (err) {
    if (isNoRecord(dnsCode(err))) return []
    throw err
  }
}

/** The reverse-DNS name of an address (in-addr.arpa or ip6.arpa). */
export function reverseName(address: string, family: AddressFamily): string {
  if (family === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`
  return `${expandIPv6(address).replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa`
}

/** An IPv6 address with every group written out in four digits. */
export function expandIPv6(address: string): string {
  let v = address.toLowerCase()
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(v)
  if (v4) {
    const p = v4[1]!.split('.').map(Number)
    v = v.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`
  }
  const [head, tail] = v.includes('::') ? v.split('::') : [v, undefined]
  const left = head ? head.split(':') : []
  const right = tail === undefined ? [] : tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...fill, ...right].map((g) => g.padStart(4, '0')).join(':')
}
