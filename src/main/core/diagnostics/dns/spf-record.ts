import { isIPv4, isIPv6 } from '../../../../shared/settings.ts'
import { expandIPv6, type AddressFamily } from './input.ts'

// An SPF record read as RFC 7208 writes it: terms, qualifiers, dual CIDR
// lengths and the macro language. A syntax error anywhere is a permerror
// before anything is evaluated (RFC 7208 4.6).

export type Qualifier = '+' | '-' | '~' | '?'

export type Mechanism =
  | { kind: 'all' }
  | { kind: 'include' | 'exists'; domain: string }
  | { kind: 'a' | 'mx'; domain: string | null; cidr4: number; cidr6: number }
  | { kind: 'ptr'; domain: string | null }
  | { kind: 'ip4' | 'ip6'; address: string; prefix: number }

export interface Directive {
  qualifier: Qualifier
  mechanism: Mechanism
  /** The term as written in the record, for the explanation. */
  text: string
}

export interface SpfRecord {
  directives: Directive[]
  redirect: string | null
}

export class SpfSyntaxError extends Error {
  override name = 'SpfSyntaxError'
}

const SPF_VERSION = /^v=spf1(\s|$)/i

/** The SPF records among a name's TXT records (RFC 7208 4.5). */
export function spfRecordsOf(txt: string[]): string[] {
  return txt.filter((t) => SPF_VERSION.test(t))
}

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'])

export function parseSpf(record: string): SpfRecord {
  const terms = record.trim().split(/\s+/).slice(1)
  const directives: Directive[] = []
  let redirect: string | null = null
  let exp = false
  for (const text of terms) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(text)
    if (modifier) {
      const name = modifier[1]!.toLowerCase()
      const value = modifier[2]!
      if (name === 'redirect' || name === 'exp') {
        if ((name === 'redirect' && redirect !== null) || (name === 'exp' && exp)) throw new SpfSyntaxError(`the record has more than one ${name}= modifier`)
        checkMacroString(value, text, true)
        if (name === 'redirect') redirect = value
        else exp = true
      } else {
        // Unknown modifiers are ignored (RFC 7208 6), but their macros must still parse.
        checkMacroString(value, text, false)
      }
      continue
    }
    directives.push(parseDirective(text))
  }
  return { directives, redirect }
}

function parseDirective(text: string): Directive {
  const qualified = '+-~?'.includes(text[0]!)
  const qualifier = (qualified ? text[0] : '+') as Qualifier
  const rest = qualified ? text.slice(1) : text
  const name = (/^[a-z0-9]+/i.exec(rest)?.[0] ?? '').toLowerCase()
  if (!MECHANISMS.has(name)) throw new SpfSyntaxError(`unknown term "${text}"`)
  return { qualifier, mechanism: parseMechanism(name, rest.slice(name.length), text), text }
}

function parseMechanism(name: string, args: string, text: string): Mechanism {
  const bad = (why: string) => new SpfSyntaxError(`"${text}" ${why}`)
  switch (name) {
    case 'all':
      if (args !== '') throw bad('takes no argument')
      return { kind: 'all' }
    case 'include':
    case 'exists':
      if (!args.startsWith(':') || args.length < 2) throw bad(`needs a domain (${name}:example.com)`)
      checkMacroString(args.slice(1), text, true)
      return { kind: name, domain: args.slice(1) }
    case 'a':
    case 'mx':
      return parseHostMechanism(name, args, text, bad)
    case 'ptr': {
      if (args !== '' && (!args.startsWith(':') || args.length < 2)) throw bad('is not written as ptr[:domain]')
      const domain = args ? args.slice(1) : null
      if (domain !== null) checkMacroString(domain, text, true)
      return { kind: 'ptr', domain }
    }
    default:
      return parseNetwork(name === 'ip4' ? 4 : 6, args, bad)
  }
}

/** a and mx: an optional domain, then an optional IPv4 and IPv6 prefix length ("a:host.example.com/24//64"). */
function parseHostMechanism(kind: 'a' | 'mx', args: string, text: string, bad: (why: string) => SpfSyntaxError): Mechanism {
  const m = /^(?::((?:%\{[^}]*\}|%[%_-]|[^/%])+))?(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(args)
  if (!m) throw bad(`is not written as ${kind}[:domain][/prefix][//prefix6]`)
  const cidr4 = m[2] === undefined ? 32 : Number(m[2])
  const cidr6 = m[3] === undefined ? 128 : Number(m[3])
  if (cidr4 > 32 || cidr6 > 128) throw bad('has a prefix length out of range')
  if (m[1] !== undefined) checkMacroString(m[1], text, true)
  return { kind, domain: m[1] ?? null, cidr4, cidr6 }
}

/** ip4:<address>[/prefix] and ip6:<address>[/prefix]. */
function parseNetwork(family: AddressFamily, args: string, bad: (why: string) => SpfSyntaxError): Mechanism {
  const kind = family === 4 ? 'ip4' : 'ip6'
  if (!args.startsWith(':')) throw bad(`needs an address (${kind}:${family === 4 ? '192.0.2.0/24' : '2001:db8::/32'})`)
  const value = args.slice(1)
  const slash = value.lastIndexOf('/')
  const address = slash >= 0 ? value.slice(0, slash) : value
  const prefixText = slash >= 0 ? value.slice(slash + 1) : null
  const max = family === 4 ? 32 : 128
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) throw bad('has a prefix length that is not a number')
  const prefix = prefixText === null ? max : Number(prefixText)
  if (prefix > max) throw bad('has a prefix length out of range')
  if (!(family === 4 ? isIPv4(address) : isIPv6(address) && !address.startsWith('['))) throw bad(`does not hold an IPv${family} address`)
  return { kind, address, prefix }
}

const MACRO = /%(\{([a-z])(\d*)(r?)([.\-+,/_=]*)\}|%|_|-)/gi

/** A macro string parses: every % starts %%, %_, %- or %{letter…}; c, r and t only in exp= (RFC 7208 7.1). */
function checkMacroString(value: string, term: string, isDomain: boolean): void {
  const withoutMacros = value.replace(MACRO, (whole, _x, letter: string | undefined) => {
    if (letter && !/^[slodiphv]$/i.test(letter)) throw new SpfSyntaxError(`"${term}" uses the macro %{${letter}}, which only an exp= text may use`)
    return 'x'
  })
  if (withoutMacros.includes('%')) throw new SpfSyntaxError(`"${term}" has a % that starts no macro (write %% for a percent sign)`)
  if (isDomain && !/\.[^.]+\.?$|%\{/.test(value)) throw new SpfSyntaxError(`"${term}" does not name a domain`)
}

export interface MacroContext {
  sender: string
  domain: string
  ip: string
  family: AddressFamily
  helo: string
}

/** Expands the macros of a domain-spec (RFC 7208 7.3) and keeps it within 253 characters by dropping labels on the left. */
export function expandDomainSpec(spec: string, ctx: MacroContext): string {
  const expanded = spec.replace(MACRO, (whole, _x, letter: string | undefined, digits: string, reverse: string, delimiters: string) => {
    if (whole === '%%') return '%'
    if (whole === '%_') return ' '
    if (whole === '%-') return '%20'
    const value = macroValue(letter!.toLowerCase(), ctx)
    let parts = value.split(new RegExp(`[${(delimiters || '.').replace(/[-\\\]^]/g, '\\$&')}]`))
    if (reverse) parts = parts.reverse()
    if (digits) {
      const n = Number(digits)
      if (n === 0) throw new SpfSyntaxError(`the macro ${whole} keeps zero labels`)
      parts = parts.slice(-n)
    }
    const out = parts.join('.')
    return letter === letter!.toUpperCase() ? encodeURIComponent(out) : out
  })
  let name = expanded.replace(/\.$/, '')
  while (name.length > 253 && name.includes('.')) name = name.slice(name.indexOf('.') + 1)
  return name
}

function macroValue(letter: string, ctx: MacroContext): string {
  const at = ctx.sender.lastIndexOf('@')
  switch (letter) {
    case 's':
      return ctx.sender
    case 'l':
      return at > 0 ? ctx.sender.slice(0, at) : 'postmaster'
    case 'o':
      return ctx.sender.slice(at + 1)
    case 'd':
      return ctx.domain
    case 'i':
      return ctx.family === 4 ? ctx.ip : expandIPv6(ctx.ip).replace(/:/g, '').split('').join('.')
    case 'v':
      return ctx.family === 4 ? 'in-addr' : 'ip6'
    case 'h':
      return ctx.helo
    // %{p} asks for a validated PTR name; RFC 7208 7.3 says it SHOULD NOT be used, and "unknown" is its value when none is validated.
    default:
      return 'unknown'
  }
}
