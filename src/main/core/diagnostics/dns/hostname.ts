import type { Check } from '../../../../shared/diagnostics.ts'
import { addressesOf, describeDnsError, dnsCode, FIELDS, isPrivateName, normalName, parseAddress, timed, type CheckBody, type DnsCheckInput } from './input.ts'
import { publishAddress } from './records.ts'

// dns.hostname: the Hostname has A or AAAA records, so a receiver that looks it
// up (the EHLO name, the PTR's forward check) finds this system.

const TITLE = 'Hostname has an address in DNS'

export function hostnameCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.hostname', TITLE, () => hostnameBody(input))
}

async function hostnameBody(input: DnsCheckInput): Promise<CheckBody> {
  const name = normalName(input.hostname)
  const outgoing = input.outgoingAddress === null ? null : parseAddress(input.outgoingAddress)
  const publish = outgoing ? publishAddress(name, outgoing.address) : `Publish an A record for ${name} with this system’s public address, or set Hostname to a name that has one.`
  if (isPrivateName(name)) {
    return { verdict: 'fail', summary: `Hostname ${name} is a private name that no DNS on the Internet answers for.`, fix: 'Set Hostname to this system’s public name, such as mail.example.com.', field: FIELDS.hostname }
  }
  let v4: string[]
  let v6: string[]
  try {
    ;[v4, v6] = await Promise.all([addressesOf(input.resolver, name, 4), addressesOf(input.resolver, name, 6)])
  } catch (err) {
    return { verdict: 'warn', summary: `The addresses of Hostname ${name} could not be looked up: ${describeDnsError(dnsCode(err))}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  const all = [...v4, ...v6]
  if (all.length === 0) {
    return { verdict: 'fail', summary: `Hostname ${name} has no A or AAAA record, so receivers that look it up find nothing.`, fix: publish, field: FIELDS.hostname }
  }
  const detail = `${name}: ${all.join(', ')}${outgoing ? `\nOutgoing address: ${outgoing.address}${all.includes(outgoing.address) ? ' (among them)' : ' (not among them)'}` : ''}`
  return { verdict: 'pass', summary: `Hostname ${name} resolves to ${all.join(', ')}.`, detail }
}
