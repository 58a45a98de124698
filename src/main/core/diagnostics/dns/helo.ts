import type { Check } from '../../../../shared/diagnostics.ts'
import { isFqdn, isIPv4 } from '../../../../shared/settings.ts'
import { addressesOf, describeDnsError, dnsCode, FIELDS, isPrivateName, normalName, timed, type CheckBody, type DnsCheckInput } from './input.ts'

// dns.helo: the name this system gives in EHLO is a fully qualified domain name
// that resolves (RFC 5321 4.1.1.1); receivers reject or score down "localhost"
// and names that do not exist.

const TITLE = 'EHLO name is a real domain name'

export function heloCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.helo', TITLE, () => heloBody(input))
}

async function heloBody(input: DnsCheckInput): Promise<CheckBody> {
  const raw = (input.heloName ?? input.hostname).trim()
  const fix = 'Set Hostname to this system’s fully qualified public name, such as mail.example.com.'
  const literal = /^\[(.+)\]$/.exec(raw)
  if (literal) {
    return { verdict: 'warn', summary: `The EHLO name is the address literal ${raw}; it is allowed, but many receivers score it down against a name.`, fix, field: FIELDS.hostname }
  }
  const name = normalName(raw)
  if (isIPv4(name)) {
    return { verdict: 'fail', summary: `The EHLO name ${name} is a bare address, which RFC 5321 does not allow (an address must be written [${name}]).`, fix, field: FIELDS.hostname }
  }
  if (!isFqdn(name) || isPrivateName(name)) {
    return { verdict: 'fail', summary: `The EHLO name ${name} is not a public fully qualified domain name, and receivers refuse or distrust mail that greets with it.`, fix, field: FIELDS.hostname }
  }
  let found: string[]
  try {
    found = [...(await addressesOf(input.resolver, name, 4)), ...(await addressesOf(input.resolver, name, 6))]
  } catch (err) {
    return { verdict: 'warn', summary: `Whether the EHLO name ${name} resolves could not be checked: ${describeDnsError(dnsCode(err))}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  if (found.length === 0) {
    return { verdict: 'fail', summary: `The EHLO name ${name} does not resolve, and receivers that check it (Postfix's reject_unknown_helo_hostname) refuse the mail.`, fix: `Publish an A record for ${name}, or set Hostname to a name that has one.`, field: FIELDS.hostname }
  }
  return { verdict: 'pass', summary: `The EHLO name ${name} is a fully qualified domain name that resolves to ${found.join(', ')}.` }
}
