import type { Check } from '../../../../shared/diagnostics.ts'
import { addressesOf, describeDnsError, dnsCode, FIELDS, isNoRecord, normalName, parseAddress, reverseName, timed, type CheckBody, type DnsCheckInput } from './input.ts'
import { publishAddress } from './records.ts'

// dns.ptr: the outgoing address has reverse DNS, and that name resolves back
// to the address (forward-confirmed); receivers such as Gmail refuse mail from
// addresses without it. Ideally the name is the Hostname, which is the EHLO name.

const TITLE = 'Reverse DNS of the outgoing address'

export function ptrCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.ptr', TITLE, () => ptrBody(input))
}

async function ptrBody(input: DnsCheckInput): Promise<CheckBody> {
  const outgoing = input.outgoingAddress === null ? null : parseAddress(input.outgoingAddress)
  if (!outgoing) {
    return {
      verdict: 'skip',
      summary: 'The address this system sends from is not known, so its reverse DNS cannot be checked.',
      fix: 'Enter the public address this system sends from to have it checked.',
      field: FIELDS.publicAddress,
    }
  }
  const { address, family } = outgoing
  const hostname = normalName(input.hostname)
  const askOwner = `Ask whoever owns ${address} (your provider) to set its reverse DNS (PTR) to ${hostname}.`
  let names: string[]
  try {
    names = (await input.resolver.resolvePtr(reverseName(address, family))).map(normalName)
  } catch (err) {
    const code = dnsCode(err)
    if (isNoRecord(code)) {
      return { verdict: 'fail', summary: `${address} has no reverse DNS (PTR) record, and many receivers refuse mail from such addresses.`, fix: askOwner }
    }
    return { verdict: 'warn', summary: `The reverse DNS of ${address} could not be looked up: ${describeDnsError(code)}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  if (names.length === 0) {
    return { verdict: 'fail', summary: `${address} has no reverse DNS (PTR) record, and many receivers refuse mail from such addresses.`, fix: askOwner }
  }
  const confirmed: string[] = []
  for (const name of names.slice(0, 10)) {
    try {
      if ((await addressesOf(input.resolver, name, family)).includes(address)) confirmed.push(name)
    } catch {
      // A name whose lookup fails is not confirmed; the others may be.
    }
  }
  const detail = `PTR of ${address}: ${names.join(', ')}\nResolving back to ${address}: ${confirmed.join(', ') || 'none'}`
  if (confirmed.length === 0) {
    const name = names[0] ?? hostname
    return {
      verdict: 'fail',
      summary: `${address} has reverse DNS ${names.join(', ')}, but ${names.length > 1 ? 'none of those names resolves' : 'that name does not resolve'} back to ${address}, so it is not forward-confirmed.`,
      detail,
      fix: publishAddress(name, address),
    }
  }
  if (!confirmed.includes(hostname)) {
    return {
      verdict: 'warn',
      summary: `${address} has forward-confirmed reverse DNS ${confirmed[0]}, but Hostname is ${hostname}, so the EHLO name and the reverse DNS disagree.`,
      detail,
      fix: `Set Hostname to ${confirmed[0]}, or ${askOwner[0]!.toLowerCase()}${askOwner.slice(1)}`,
      field: FIELDS.hostname,
    }
  }
  return { verdict: 'pass', summary: `${address} has reverse DNS ${hostname}, which resolves back to it.`, detail }
}
