import type { Check } from '../../../../shared/diagnostics.ts'
import { describeDnsError, dnsCode, domainOf, FIELDS, isPrivateName, normalName, timed, txtRecords, type CheckBody, type DnsCheckInput } from './input.ts'
import { organizationalDomain } from './org-domain.ts'
import { publishTxt, sentence } from './records.ts'

// dns.dmarc: the From domain's DMARC policy (RFC 7489 6.6.3: _dmarc at the
// domain, then at its organizational domain) and whether the identifiers this
// system sends with align with the From domain. The envelope sender is the From
// Address, so SPF aligns in both modes; DKIM aligns when it signs for the From
// domain (strict) or a domain of the same organization (relaxed).

const TITLE = 'DMARC policy of the From Address domain'

export interface DmarcRecord {
  /** Where it was found: the From domain or its organizational domain. */
  domain: string
  record: string
  tags: Map<string, string>
}

export function dmarcCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.dmarc', TITLE, () => dmarcBody(input))
}

async function dmarcBody(input: DnsCheckInput): Promise<CheckBody> {
  const from = domainOf(input.fromAddress)
  if (isPrivateName(from)) {
    return { verdict: 'fail', summary: `The From Address domain ${from} is not a public domain, so it can have no DMARC record.`, fix: 'Set From Address to an address at a domain whose DNS you manage.', field: FIELDS.fromAddress }
  }
  const org = organizationalDomain(from)
  let found: DmarcRecord[]
  try {
    found = await dmarcRecords(input, from)
    if (found.length === 0 && org !== from) found = await dmarcRecords(input, org)
  } catch (err) {
    return { verdict: 'warn', summary: `The DMARC record of ${from} could not be read: ${describeDnsError(dnsCode(err))}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  const suggested = publishTxt(`_dmarc.${org}`, `v=DMARC1; p=none; rua=mailto:postmaster@${org}`)
  if (found.length === 0) {
    return {
      verdict: 'warn',
      summary: `${from} publishes no DMARC record${org !== from ? ` (nor does ${org})` : ''}; large receivers require one of bulk senders and trust unauthenticated mail less without it.`,
      fix: suggested,
      field: FIELDS.fromAddress,
    }
  }
  if (found.length > 1) {
    return {
      verdict: 'fail',
      summary: `_dmarc.${found[0]!.domain} holds ${found.length} DMARC records, so receivers apply none of them.`,
      detail: found.map((r) => r.record).join('\n'),
      fix: `Keep one TXT record starting with v=DMARC1 at _dmarc.${found[0]!.domain} and delete the others.`,
      field: FIELDS.fromAddress,
    }
  }
  return judgeRecord(input, from, found[0]!)
}

/** One record found: its policy for the From domain, and whether DKIM aligns with it. */
function judgeRecord(input: DnsCheckInput, from: string, record: DmarcRecord): CheckBody {
  const atOrg = record.domain !== from
  const policy = ((atOrg ? record.tags.get('sp') : undefined) ?? record.tags.get('p'))?.toLowerCase()
  const where = atOrg ? `the DMARC record of its organizational domain ${record.domain}` : `the DMARC record of ${from}`
  if (!policy || !['none', 'quarantine', 'reject'].includes(policy)) {
    return { verdict: 'fail', summary: sentence(`${where} has no valid p= policy (none, quarantine or reject), so receivers may ignore it.`), detail: record.record, fix: publishTxt(`_dmarc.${record.domain}`, `v=DMARC1; p=none; rua=mailto:postmaster@${record.domain}`), field: FIELDS.fromAddress }
  }
  const adkim = record.tags.get('adkim')?.toLowerCase() === 's' ? 'strict' : 'relaxed'
  const aspf = record.tags.get('aspf')?.toLowerCase() === 's' ? 'strict' : 'relaxed'
  const pct = Number(record.tags.get('pct') ?? '100')
  const facts = [
    `Record at _dmarc.${record.domain}: ${record.record}`,
    `Policy for ${from}: ${policy}${atOrg && record.tags.has('sp') ? ' (sp=)' : ''}${Number.isFinite(pct) && pct < 100 ? `, applied to ${pct}% of failing mail` : ''}.`,
    `SPF alignment (${aspf}): the envelope sender is the From Address, so SPF aligns when it passes.`,
  ]
  const policyWords = policy === 'none' ? 'p=none (receivers only report failures)' : `p=${policy} (receivers ${policy === 'reject' ? 'refuse' : 'put in spam'} mail that fails DMARC)`
  if (input.dkim) {
    const signing = normalName(input.dkim.domain)
    const aligned = adkim === 'strict' ? signing === from : organizationalDomain(signing) === organizationalDomain(from)
    facts.push(`DKIM alignment (${adkim}): messages are signed for ${signing}, ${aligned ? 'aligned' : 'not aligned'} with ${from}.`)
    if (!aligned) {
      return {
        verdict: 'warn',
        summary: sentence(`${where} asks for ${adkim} DKIM alignment, but messages are signed for ${signing}, not ${adkim === 'strict' ? from : `a domain of ${organizationalDomain(from)}`}, so DKIM cannot pass DMARC and SPF alone must.`),
        detail: facts.join('\n'),
        fix: `Set the DKIM domain to ${from} and publish its key there.`,
        field: input.dkim.fields?.domain,
      }
    }
  } else {
    facts.push('DKIM: signing is off, so DMARC passes only through SPF.')
  }
  return { verdict: 'pass', summary: sentence(`${where} is found with ${policyWords}, and mail from this system aligns with ${from}.`), detail: facts.join('\n') }
}

/** The v=DMARC1 records at _dmarc.<domain> (RFC 7489 6.6.3: v=DMARC1 must be the first tag). */
export async function dmarcRecords(input: DnsCheckInput, domain: string): Promise<DmarcRecord[]> {
  const txt = await txtRecords(input.resolver, `_dmarc.${domain}`)
  return txt.filter((t) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(t)).map((record) => ({ domain, record, tags: parseTags(record) }))
}

/** tag=value pairs separated by semicolons (RFC 7489 6.4, RFC 6376 3.2); names lower-case. */
export function parseTags(record: string): Map<string, string> {
  const tags = new Map<string, string>()
  for (const part of record.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim().toLowerCase()
    if (!tags.has(name)) tags.set(name, part.slice(eq + 1).trim())
  }
  return tags
}
