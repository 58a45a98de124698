import type { Check } from '../../../../shared/diagnostics.ts'
import { addressesOf, DEFAULT_BLOCKLISTS, describeDnsError, dnsCode, FIELDS, parseAddress, timed, txtRecords, type Blocklist, type CheckBody, type DnsCheckInput } from './input.ts'
import { listWords } from './records.ts'

// dns.blocklist: the outgoing address looked up under each DNS blocklist zone
// (RFC 5782: the reversed address under the zone; an A record in 127.0.0.0/8
// means listed, NXDOMAIN means not). Spamhaus answers 127.255.255.254 to
// queries from public resolvers, which it refuses: that is no listing.

const TITLE = 'Outgoing address on DNS blocklists'

/** Answers that say the list refused the query, not that the address is listed. */
const REFUSALS: Record<string, string> = {
  '127.255.255.252': 'the query was malformed (the zone name is wrong)',
  '127.255.255.254': 'the list refuses queries from this resolver (a public or open resolver such as 8.8.8.8)',
  '127.255.255.255': 'the list refuses this resolver for sending too many queries',
}

interface ZoneAnswer {
  list: Blocklist
  state: 'listed' | 'policy' | 'clear' | 'refused' | 'unknown'
  text: string
}

export function blocklistCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.blocklist', TITLE, () => blocklistBody(input))
}

async function blocklistBody(input: DnsCheckInput): Promise<CheckBody> {
  const outgoing = input.outgoingAddress === null ? null : parseAddress(input.outgoingAddress)
  if (!outgoing) {
    return { verdict: 'skip', summary: 'The address this system sends from is not known, so the blocklists cannot be asked about it.', fix: 'Enter the public address this system sends from to have it checked.', field: FIELDS.publicAddress }
  }
  if (outgoing.family === 6) {
    return { verdict: 'skip', summary: `${outgoing.address} is an IPv6 address; the blocklists checked here list IPv4 addresses.` }
  }
  const lists = input.blocklists ?? DEFAULT_BLOCKLISTS
  const reversed = outgoing.address.split('.').reverse().join('.')
  const answers = await Promise.all(lists.map((list) => askZone(input, list, reversed)))
  const detail = answers.map((a) => `${a.list.name} (${a.list.zone}): ${a.text}`).join('\n')
  const ip = outgoing.address
  const listed = answers.filter((a) => a.state === 'listed')
  const policy = answers.filter((a) => a.state === 'policy')
  const refused = answers.filter((a) => a.state === 'refused')
  const unknown = answers.filter((a) => a.state === 'unknown')
  if (listed.length) {
    return {
      verdict: 'fail',
      summary: `${ip} is listed on ${listWords(listed.map((a) => `${a.list.name} (${a.text})`))}, and receivers that use ${listed.length > 1 ? 'these lists' : 'it'} refuse its mail.`,
      detail,
      fix: `Find and stop what sent spam from ${ip}, then ask ${listWords(listed.map((a) => a.list.name))} to delist it; meanwhile send through a relay.`,
      field: FIELDS.relayHost,
    }
  }
  if (policy.length) {
    return {
      verdict: 'warn',
      summary: `${ip} is on ${listWords(policy.map((a) => a.list.name))} as an ${policy[0]!.text}: receivers refuse it when it delivers directly, not through its provider's relay.`,
      detail,
      fix: 'Send through your provider’s relay (set Relay Host) rather than directly to the recipients’ mail servers.',
      field: FIELDS.relayHost,
    }
  }
  if (refused.length) {
    return {
      verdict: 'warn',
      summary: `${listWords(refused.map((a) => a.list.name))} would not answer: ${refused[0]!.text}, so whether ${ip} is listed there is not known${refused.length < answers.length ? '; the other lists do not list it' : ''}.`,
      detail,
      fix: 'Use a DNS resolver of your own or your provider’s (not a public one) for this system, or look the address up on the list’s website.',
    }
  }
  if (unknown.length) {
    return { verdict: 'warn', summary: `${listWords(unknown.map((a) => a.list.name))} could not be asked: ${unknown[0]!.text}; the other lists do not list ${ip}.`, detail, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  return { verdict: 'pass', summary: `${ip} is on none of ${listWords(answers.map((a) => a.list.name))}.`, detail }
}

async function askZone(input: DnsCheckInput, list: Blocklist, reversed: string): Promise<ZoneAnswer> {
  const name = `${reversed}.${list.zone}`
  let codes: string[]
  try {
    codes = await addressesOf(input.resolver, name, 4)
  } catch (err) {
    return { list, state: 'unknown', text: describeDnsError(dnsCode(err)) }
  }
  if (codes.length === 0) return { list, state: 'clear', text: 'not listed' }
  const refusal = codes.find((c) => REFUSALS[c])
  if (refusal) return { list, state: 'refused', text: `${REFUSALS[refusal]} (answer ${refusal})` }
  const outside = codes.filter((c) => !c.startsWith('127.'))
  if (outside.length) return { list, state: 'unknown', text: `the list answered ${outside.join(', ')}, outside 127.0.0.0/8, which is no blocklist answer (the resolver may rewrite NXDOMAIN)` }
  const reason = (await txtRecords(input.resolver, name).catch(() => [] as string[]))[0]
  const meanings = codes.map((c) => list.codes?.[c] ?? `listed (${c})`)
  const policyOnly = codes.every((c) => list.policyCodes?.includes(c))
  const text = `${[...new Set(meanings)].join('; ')}${reason ? ` — ${reason}` : ''}`
  return { list, state: policyOnly ? 'policy' : 'listed', text }
}
