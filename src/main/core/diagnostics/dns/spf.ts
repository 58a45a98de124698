import type { Check } from '../../../../shared/diagnostics.ts'
import { describeDnsError, dnsCode, domainOf, FIELDS, isPrivateName, parseAddress, timed, txtRecords, type CheckBody, type DnsCheckInput } from './input.ts'
import { listWords, publishTxt } from './records.ts'
import { evaluateSpf, LOOKUP_LIMIT, VOID_LIMIT, type SpfEvaluation, type SpfStep } from './spf-eval.ts'
import { spfRecordsOf } from './spf-record.ts'

// dns.spf: the From domain's SPF record evaluated for the outgoing address, as
// a receiver would, and explained by the term that decided.

const TITLE = 'SPF allows this system to send for the From Address domain'

export function spfCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.spf', TITLE, () => spfBody(input))
}

async function spfBody(input: DnsCheckInput): Promise<CheckBody> {
  const domain = domainOf(input.fromAddress)
  if (isPrivateName(domain)) {
    return {
      verdict: 'fail',
      summary: `The From Address domain ${domain} is not a public domain, so no receiver can find an SPF record for it.`,
      fix: 'Set From Address to an address at a domain whose DNS you manage.',
      field: FIELDS.fromAddress,
    }
  }
  if (input.relay) return relayedSpf(input, input.relay, domain)
  const outgoing = input.outgoingAddress === null ? null : parseAddress(input.outgoingAddress)
  if (!outgoing) return recordWithoutAddress(input, domain)
  const ev = await evaluateSpf({ resolver: input.resolver, ip: outgoing.address, sender: input.fromAddress, helo: input.heloName ?? input.hostname })
  const ip = outgoing.address
  const term = `${outgoing.family === 4 ? 'ip4' : 'ip6'}:${ip}`
  const top = ev.records.find((r) => r.domain === domain)?.record ?? null
  const detail = describeEvaluation(ev)
  switch (ev.result) {
    case 'pass': {
      const last = ev.matched[ev.matched.length - 1]
      if (last && /^\+?all$/i.test(last.term)) {
        return { verdict: 'warn', summary: `SPF passes for ${ip} only because the record of ${last.domain} ends in ${last.term}, which allows every address on the Internet.`, detail, fix: publishTxt(domain, withAddress(top ?? 'v=spf1', term, true)), field: FIELDS.fromAddress }
      }
      return { verdict: 'pass', summary: `The SPF record of ${domain} allows ${ip} (${describeMatch(ev.matched, domain)}).`, detail }
    }
    case 'fail':
    case 'softfail':
    case 'neutral': {
      const how = ev.matched.length ? `matched ${describeMatch(ev.matched, domain)}` : ev.reason ?? 'nothing matched'
      const what = { fail: 'does not allow', softfail: 'does not allow (softfail)', neutral: 'says nothing about (neutral)' }[ev.result]
      return {
        verdict: ev.result === 'fail' ? 'fail' : 'warn',
        summary: `The SPF record of ${domain} ${what} ${ip}: ${how}, so receivers do not count SPF as passed.`,
        detail,
        fix: publishTxt(domain, withAddress(top ?? 'v=spf1', term, false)),
        field: FIELDS.fromAddress,
      }
    }
    case 'none':
      return {
        verdict: 'fail',
        summary: `${domain} publishes no SPF record, so receivers cannot tell that ${ip} may send its mail.`,
        detail,
        fix: publishTxt(domain, `v=spf1 ${term} -all`),
        field: FIELDS.fromAddress,
      }
    case 'temperror':
      return { verdict: 'warn', summary: `SPF of ${domain} could not be evaluated: ${ev.reason}.`, detail, fix: 'Run the checks again; if this stays, the DNS servers of this system or of the domain are failing.' }
    case 'permerror':
      return { verdict: 'fail', summary: `The SPF record of ${domain} is broken (permerror): ${ev.reason}.`, detail, fix: permerrorFix(ev, domain), field: FIELDS.fromAddress }
  }
}

/** An address no SPF record lists (TEST-NET-1): evaluating for it reads the whole record, its includes and its limits. */
const NOBODY = '192.0.2.1'

/**
 * Through a relay, receivers judge SPF against the relay's servers, not this system: the record must be
 * sound and, for a provider whose servers keep the From Address as envelope sender (Microsoft 365, Google
 * Workspace), include the provider's. For another relay the record's soundness is all that can be seen.
 */
async function relayedSpf(input: DnsCheckInput, relay: { host: string; spfInclude: string | null }, domain: string): Promise<CheckBody> {
  const ev = await evaluateSpf({ resolver: input.resolver, ip: NOBODY, sender: input.fromAddress, helo: input.heloName ?? input.hostname })
  const detail = describeEvaluation(ev)
  const top = ev.records.find((r) => r.domain === domain)?.record ?? null
  if (ev.result === 'none') {
    const record = relay.spfInclude ? `v=spf1 include:${relay.spfInclude} -all` : `v=spf1 include:<your relay provider’s SPF domain> -all`
    return { verdict: 'fail', summary: `${domain} publishes no SPF record, so receivers cannot tell that the relay ${relay.host} may send its mail.`, detail, fix: publishTxt(domain, record), field: FIELDS.fromAddress }
  }
  if (ev.result === 'permerror') return { verdict: 'fail', summary: `The SPF record of ${domain} is broken (permerror): ${ev.reason}.`, detail, fix: permerrorFix(ev, domain), field: FIELDS.fromAddress }
  if (ev.result === 'temperror') return { verdict: 'warn', summary: `SPF of ${domain} could not be evaluated: ${ev.reason}.`, detail, fix: 'Run the checks again; if this stays, the DNS servers of this system or of the domain are failing.' }
  if (relay.spfInclude) {
    const included = ev.records.some((r) => r.domain === relay.spfInclude)
    if (included) return { verdict: 'pass', summary: `The SPF record of ${domain} includes ${relay.spfInclude}, the servers mail leaves through from ${relay.host}.`, detail }
    return {
      verdict: 'fail',
      summary: `The SPF record of ${domain} does not include ${relay.spfInclude}, so receivers do not count SPF as passed for mail that leaves through ${relay.host}.`,
      detail,
      fix: publishTxt(domain, withInclude(top ?? 'v=spf1 -all', relay.spfInclude)),
      field: FIELDS.fromAddress,
    }
  }
  return {
    verdict: 'pass',
    summary: `${domain} publishes a sound SPF record; receivers check it against the servers of the relay ${relay.host}, which only the relay's provider can name.`,
    detail: `${detail}\nMany relay services send with a bounce domain of their own, so their SPF is theirs and DKIM carries DMARC: make sure the provider signs for ${domain}, or sign here (Advanced, DKIM).`,
  }
}

/** The record with `include:` added before its final all (or at its end). */
function withInclude(record: string, include: string): string {
  const terms = record.trim().split(/\s+/)
  const all = terms.findIndex((t) => /^[-~?+]?all$/i.test(t))
  const term = `include:${include}`
  if (all === -1) return [...terms, term].join(' ')
  return [...terms.slice(0, all), term, ...terms.slice(all)].join(' ')
}

/** Without the outgoing address only the record's presence can be checked; its verdict for an address is never guessed. */
async function recordWithoutAddress(input: DnsCheckInput, domain: string): Promise<CheckBody> {
  let records: string[]
  try {
    records = spfRecordsOf(await txtRecords(input.resolver, domain))
  } catch (err) {
    return { verdict: 'warn', summary: `The SPF record of ${domain} could not be read: ${describeDnsError(dnsCode(err))}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  if (records.length === 0) {
    return {
      verdict: 'fail',
      summary: `${domain} publishes no SPF record, so receivers cannot tell which addresses may send its mail.`,
      fix: publishTxt(domain, 'v=spf1 ip4:<this system’s public address> -all'),
      field: FIELDS.fromAddress,
    }
  }
  if (records.length > 1) {
    return { verdict: 'fail', summary: `${domain} publishes ${records.length} SPF records, and receivers accept only one (permerror).`, detail: records.join('\n'), fix: `Merge the SPF records of ${domain} into one TXT record.`, field: FIELDS.fromAddress }
  }
  return {
    verdict: 'skip',
    summary: `${domain} publishes an SPF record, but the address this system sends from is not known, so whether it allows this system cannot be said.`,
    detail: records[0],
    fix: 'Enter the public address this system sends from to have the record evaluated.',
    field: FIELDS.publicAddress,
  }
}

/** "ip4:192.0.2.0/24 in the record of _spf.provider.test, through include:_spf.provider.test" */
export function describeMatch(matched: SpfStep[], domain: string): string {
  const last = matched[matched.length - 1]
  if (!last) return 'nothing matched'
  if (last.domain === domain) return last.term
  return `${last.term} in the record of ${last.domain}, through ${matched.slice(0, -1).map((s) => s.term).join(' → ')}`
}

/** The record with the address added before its all or redirect=; a +all is made -all. */
function withAddress(record: string, term: string, dropPlusAll: boolean): string {
  const terms = record.trim().split(/\s+/)
  const end = terms.findIndex((t, i) => i > 0 && (/^[+\-~?]?all$/i.test(t) || /^redirect=/i.test(t)))
  if (end < 0) return [...terms, term, '-all'].join(' ')
  if (dropPlusAll && /^\+?all$/i.test(terms[end]!)) terms[end] = '-all'
  return [...terms.slice(0, end), term, ...terms.slice(end)].join(' ')
}

function permerrorFix(ev: SpfEvaluation, domain: string): string {
  switch (ev.problem) {
    case 'multiple':
      return `Merge the SPF records of ${domain} into one TXT record starting with v=spf1, and delete the others.`
    case 'lookups':
      return `Bring the record under ${LOOKUP_LIMIT} lookups: replace include: terms with the ip4:/ip6: ranges they stand for, and drop includes of services that no longer send for ${domain}.`
    case 'void':
      return `Remove the terms naming ${listWords([...new Set(ev.voidNames)])} from the SPF record: those names have no records.`
    case 'include-none':
    case 'redirect-none':
      return 'Correct or remove that term: the domain it names must publish an SPF record of its own.'
    case 'mx-hosts':
      return `Replace the mx term with ip4:/ip6: ranges: receivers look up at most ${LOOKUP_LIMIT} mail hosts for it.`
    default:
      return `Correct the SPF record of ${domain}: ${ev.reason}.`
  }
}

function describeEvaluation(ev: SpfEvaluation): string {
  const lines = ev.records.map((r) => `${r.domain}: ${r.record}`)
  lines.push(`DNS lookups: ${ev.lookups} of ${LOOKUP_LIMIT}; lookups that found nothing: ${ev.voidLookups} of ${VOID_LIMIT}.`)
  if (ev.usesPtr) lines.push('The record uses ptr, which RFC 7208 5.5 says not to use: many receivers skip it.')
  return lines.join('\n')
}
