import type { Resolver } from 'node:dns/promises'
import { describeDnsError, dnsCode, expandIPv6, isNoRecord, normalName, parseAddress, reverseName, type AddressFamily } from './input.ts'
import { expandDomainSpec, parseSpf, spfRecordsOf, SpfSyntaxError, type Directive, type Mechanism, type MacroContext, type Qualifier } from './spf-record.ts'

// check_host() of RFC 7208 for one address: the record of the sender domain,
// its mechanisms left to right, include and redirect followed, with the limits
// receivers enforce: 10 terms that query DNS, 2 lookups that find nothing, 10
// MX hosts and 10 PTR names per mechanism.

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror'

/** Why an evaluation ended in none, permerror or temperror: what the fix is built from. */
export type SpfProblem = 'no-record' | 'multiple' | 'lookups' | 'void' | 'syntax' | 'include-none' | 'redirect-none' | 'mx-hosts' | 'dns'

/** One term on the way to the result: the record it is in and the term as written. */
export interface SpfStep {
  domain: string
  term: string
}

export interface SpfEvaluation {
  result: SpfResult
  /** The terms that decided, from the sender domain's record inward (include:…, then the ip4:… inside it). */
  matched: SpfStep[]
  reason: string | null
  problem: SpfProblem | null
  /** Terms that queried DNS, of the 10 allowed. */
  lookups: number
  /** Lookups that found nothing, of the 2 allowed. */
  voidLookups: number
  /** Every SPF record read, in order. */
  records: { domain: string; record: string }[]
  /** Domains that found nothing, for the void-lookup fix. */
  voidNames: string[]
  usesPtr: boolean
}

export interface SpfQuery {
  resolver: Resolver
  /** The address the mail comes from. */
  ip: string
  /** MAIL FROM; its domain is the one checked. */
  sender: string
  helo: string
}

export const LOOKUP_LIMIT = 10
export const VOID_LIMIT = 2

const RESULTS: Record<Qualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' }

class Stop extends Error {
  readonly result: 'permerror' | 'temperror'
  readonly problem: SpfProblem
  constructor(result: 'permerror' | 'temperror', problem: SpfProblem, message: string) {
    super(message)
    this.result = result
    this.problem = problem
  }
}

export async function evaluateSpf(query: SpfQuery): Promise<SpfEvaluation> {
  const parsed = parseAddress(query.ip)
  if (!parsed) throw new Error(`${query.ip} is not an IP address`)
  const at = query.sender.lastIndexOf('@')
  const domain = normalName(query.sender.slice(at + 1))
  const evaluator = new Evaluator(query.resolver, parsed.address, parsed.family, at > 0 ? query.sender : `postmaster@${domain}`, query.helo)
  const base = () => ({ lookups: evaluator.lookups, voidLookups: evaluator.voidLookups, records: evaluator.records, voidNames: evaluator.voidNames, usesPtr: evaluator.usesPtr })
  try {
    const outcome = await evaluator.checkHost(domain)
    return { result: outcome.result, matched: outcome.matched, reason: outcome.reason, problem: outcome.result === 'none' ? 'no-record' : null, ...base() }
  } catch (err) {
    if (!(err instanceof Stop)) throw err
    return { result: err.result, matched: [], reason: err.message, problem: err.problem, ...base() }
  }
}

interface HostOutcome {
  result: SpfResult
  matched: SpfStep[]
  reason: string | null
}

class Evaluator {
  lookups = 0
  voidLookups = 0
  records: { domain: string; record: string }[] = []
  voidNames: string[] = []
  usesPtr = false

  private readonly resolver: Resolver
  private readonly ip: string
  private readonly family: AddressFamily
  private readonly sender: string
  private readonly helo: string

  constructor(resolver: Resolver, ip: string, family: AddressFamily, sender: string, helo: string) {
    this.resolver = resolver
    this.ip = ip
    this.family = family
    this.sender = sender
    this.helo = helo
  }

  async checkHost(domain: string): Promise<HostOutcome> {
    if (!isDomainName(domain)) return { result: 'none', matched: [], reason: `"${domain}" is not a domain name` }
    let txt: string[]
    try {
      txt = (await this.resolver.resolveTxt(domain)).map((chunks) => chunks.join(''))
    } catch (err) {
      const code = dnsCode(err)
      if (isNoRecord(code)) return { result: 'none', matched: [], reason: `${domain} publishes no SPF record` }
      throw new Stop('temperror', 'dns', `the TXT lookup of ${domain} failed: ${describeDnsError(code)}`)
    }
    const spf = spfRecordsOf(txt)
    if (spf.length === 0) return { result: 'none', matched: [], reason: `${domain} publishes no SPF record` }
    for (const record of spf) this.records.push({ domain, record })
    if (spf.length > 1) throw new Stop('permerror', 'multiple', `${domain} publishes ${spf.length} SPF records, and receivers accept only one`)
    let record
    try {
      record = parseSpf(spf[0]!)
    } catch (err) {
      if (err instanceof SpfSyntaxError) throw new Stop('permerror', 'syntax', `the SPF record of ${domain} is malformed: ${err.message}`)
      throw err
    }
    const ctx: MacroContext = { sender: this.sender, domain, ip: this.ip, family: this.family, helo: this.helo }
    for (const directive of record.directives) {
      const inner = await this.matches(directive, ctx)
      if (inner) return { result: RESULTS[directive.qualifier], matched: [{ domain, term: directive.text }, ...inner], reason: null }
    }
    if (record.redirect !== null) {
      this.count()
      const target = this.expand(record.redirect, ctx, `redirect=${record.redirect}`)
      const outcome = await this.checkHost(target)
      if (outcome.result === 'none') throw new Stop('permerror', 'redirect-none', `redirect=${record.redirect} of ${domain} leads to ${target}, which publishes no SPF record`)
      return { ...outcome, matched: [{ domain, term: `redirect=${record.redirect}` }, ...outcome.matched] }
    }
    return { result: 'neutral', matched: [], reason: `no mechanism of the SPF record of ${domain} matched, and it has no all or redirect= at the end` }
  }

  /** The steps inside an include when it matched, [] when any other mechanism matched, null when it did not. */
  private async matches(directive: Directive, ctx: MacroContext): Promise<SpfStep[] | null> {
    const m: Mechanism = directive.mechanism
    switch (m.kind) {
      case 'all':
        return []
      case 'ip4':
      case 'ip6':
        return (m.kind === 'ip4' ? 4 : 6) === this.family && inSubnet(this.ip, m.address, m.prefix, this.family) ? [] : null
      case 'a': {
        this.count()
        const target = m.domain === null ? ctx.domain : this.expand(m.domain, ctx, directive.text)
        const addresses = await this.query(target, () => this.addresses(target))
        return addresses.some((a) => this.inMechanismSubnet(a, m.cidr4, m.cidr6)) ? [] : null
      }
      case 'mx': {
        this.count()
        const target = m.domain === null ? ctx.domain : this.expand(m.domain, ctx, directive.text)
        const hosts = (await this.query(target, async () => (await this.resolver.resolveMx(target)).map((r) => r.exchange))).filter((h) => h !== '' && h !== '.')
        if (hosts.length > LOOKUP_LIMIT) throw new Stop('permerror', 'mx-hosts', `"${directive.text}" names ${hosts.length} mail hosts, more than the ${LOOKUP_LIMIT} a receiver looks up`)
        for (const host of hosts) {
          const addresses = await this.lookup(host, () => this.addresses(host))
          if (addresses.some((a) => this.inMechanismSubnet(a, m.cidr4, m.cidr6))) return []
        }
        return null
      }
      case 'ptr': {
        this.count()
        this.usesPtr = true
        const target = normalName(m.domain === null ? ctx.domain : this.expand(m.domain, ctx, directive.text))
        return (await this.validatedNames()).some((n) => n === target || n.endsWith(`.${target}`)) ? [] : null
      }
      case 'exists': {
        this.count()
        const target = this.expand(m.domain, ctx, directive.text)
        // exists asks for A records whatever the address family (RFC 7208 5.7).
        return (await this.query(target, () => this.resolver.resolve4(target))).length > 0 ? [] : null
      }
      case 'include': {
        this.count()
        const target = this.expand(m.domain, ctx, directive.text)
        const outcome = await this.checkHost(target)
        if (outcome.result === 'none') throw new Stop('permerror', 'include-none', `"${directive.text}" in the SPF record of ${ctx.domain} names ${target}, which publishes no SPF record`)
        return outcome.result === 'pass' ? outcome.matched : null
      }
    }
  }

  private inMechanismSubnet(address: string, cidr4: number, cidr6: number): boolean {
    return inSubnet(this.ip, address, this.family === 4 ? cidr4 : cidr6, this.family)
  }

  private addresses(name: string): Promise<string[]> {
    return this.family === 4 ? this.resolver.resolve4(name) : this.resolver.resolve6(name)
  }

  /** PTR names of the address that resolve back to it; a failed PTR lookup matches nothing (RFC 7208 5.5). */
  private async validatedNames(): Promise<string[]> {
    let names: string[]
    try {
      names = await this.resolver.resolvePtr(reverseName(this.ip, this.family))
    } catch (err) {
      if (isNoRecord(dnsCode(err))) this.void(reverseName(this.ip, this.family))
      return []
    }
    const validated: string[] = []
    for (const name of names.slice(0, LOOKUP_LIMIT)) {
      try {
        const addresses = await this.addresses(name)
        if (addresses.some((a) => inSubnet(this.ip, a, this.family === 4 ? 32 : 128, this.family))) validated.push(normalName(name))
      } catch {
        // A name that does not resolve is not validated; the others may be.
      }
    }
    return validated
  }

  /** A term that queries DNS: the 11th is a permerror (RFC 7208 4.6.4). */
  private count(): void {
    this.lookups++
    if (this.lookups > LOOKUP_LIMIT) {
      throw new Stop('permerror', 'lookups', `evaluating the record takes more than ${LOOKUP_LIMIT} DNS lookups (include, a, mx, ptr, exists, redirect), and receivers stop at ${LOOKUP_LIMIT}`)
    }
  }

  private void(name: string): void {
    this.voidLookups++
    this.voidNames.push(name)
    if (this.voidLookups > VOID_LIMIT) {
      throw new Stop('permerror', 'void', `more than ${VOID_LIMIT} lookups found nothing (${this.voidNames.join(', ')}), and receivers stop there`)
    }
  }

  /** A lookup that counts toward the void limit when it finds nothing; other failures are a temperror. */
  private async query(name: string, run: () => Promise<string[]>): Promise<string[]> {
    const found = await this.lookup(name, run)
    if (found.length === 0) this.void(name)
    return found
  }

  private async lookup(name: string, run: () => Promise<string[]>): Promise<string[]> {
    try {
      return await run()
    } catch (err) {
      const code = dnsCode(err)
      if (isNoRecord(code)) return []
      throw new Stop('temperror', 'dns', `the lookup of ${name} failed: ${describeDnsError(code)}`)
    }
  }

  private expand(spec: string, ctx: MacroContext, term: string): string {
    try {
      return expandDomainSpec(spec, ctx)
    } catch (err) {
      if (err instanceof SpfSyntaxError) throw new Stop('permerror', 'syntax', `the SPF record of ${ctx.domain} is malformed: ${err.message} in "${term}"`)
      throw err
    }
  }
}

function isDomainName(name: string): boolean {
  const labels = name.replace(/\.$/, '').split('.')
  return name.length <= 253 && labels.length >= 2 && labels.every((l) => l.length > 0 && l.length <= 63)
}

/** Whether ip lies in network/prefix; both of the given family. */
export function inSubnet(ip: string, network: string, prefix: number, family: AddressFamily): boolean {
  const other = parseAddress(network)
  if (!other || other.family !== family) return false
  const bits = family === 4 ? 32 : 128
  const value = (a: string) => (family === 4 ? a.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n) : BigInt(`0x${expandIPv6(a).replace(/:/g, '')}`))
  const shift = BigInt(bits - prefix)
  return value(ip) >> shift === value(other.address) >> shift
}
