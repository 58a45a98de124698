import type { Check } from '../../../../shared/diagnostics.ts'
import { DnsLookupError, resolveMailHosts } from '../../delivery/mx.ts'
import { describeDnsError, domainOf, FIELDS, isPrivateName, timed, type CheckBody, type DnsCheckInput } from './input.ts'

// dns.mx: the From domain can receive mail, so bounces and replies reach
// someone; receivers also refuse senders whose domain cannot (Postfix's
// reject_unknown_sender_domain). A null MX (RFC 7505) says it takes none.

const TITLE = 'The From Address domain can receive bounces'

export function senderMxCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.mx', TITLE, () => senderMxBody(input))
}

async function senderMxBody(input: DnsCheckInput): Promise<CheckBody> {
  const domain = domainOf(input.fromAddress)
  const elsewhere = 'Set From Address to an address at a domain that receives mail.'
  if (isPrivateName(domain)) {
    return { verdict: 'fail', summary: `The From Address domain ${domain} is a private name, so bounces and replies cannot reach it.`, fix: elsewhere, field: FIELDS.fromAddress }
  }
  try {
    const hosts = await resolveMailHosts(input.resolver, domain)
    const detail = hosts.map((h) => `${h.host}: ${h.addresses.join(', ') || 'no address'}`).join('\n')
    if (hosts.length === 1 && hosts[0]!.host === domain) {
      return { verdict: 'pass', summary: `${domain} has no MX record, so its mail (and bounces) go to its own address ${hosts[0]!.addresses.join(', ')}, as RFC 5321 allows.`, detail }
    }
    return { verdict: 'pass', summary: `${domain} receives mail at ${hosts.map((h) => h.host).join(', ')}.`, detail }
  } catch (err) {
    if (!(err instanceof DnsLookupError)) throw err
    switch (err.code) {
      case 'NULLMX':
        return { verdict: 'fail', summary: `${domain} publishes a null MX record: it accepts no mail, so bounces are lost and receivers may refuse it as a sender.`, fix: `${elsewhere} Or replace the null MX of ${domain} with the MX of a server that receives its mail.`, field: FIELDS.fromAddress }
      case 'ENOTFOUND':
        return { verdict: 'fail', summary: `${domain} does not exist in DNS, so receivers refuse mail from it and bounces cannot come back.`, fix: elsewhere, field: FIELDS.fromAddress }
      case 'ENOADDR':
        return { verdict: 'fail', summary: `The mail hosts of ${domain} have no address, so bounces cannot be delivered to it.`, detail: err.message, fix: `Publish A records for the MX hosts of ${domain}, or correct its MX records.`, field: FIELDS.fromAddress }
      default:
        return { verdict: 'warn', summary: `The MX records of ${domain} could not be looked up: ${describeDnsError(err.code)}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
    }
  }
}
