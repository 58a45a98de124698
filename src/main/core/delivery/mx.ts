import type { Resolver } from 'node:dns/promises'

// A domain's mail hosts, as direct delivery tries them: MX lowest preference
// first, each with its addresses; a domain without MX is its own mail host
// (RFC 5321 5.1), a null MX says it takes no mail (RFC 7505).

export interface MxHost {
  host: string
  addresses: string[]
}

export class DnsLookupError extends Error {
  override name = 'DnsLookupError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

export async function resolveMailHosts(resolver: Resolver, domain: string): Promise<MxHost[]> {
  let exchanges: string[]
  try {
    const mx = await resolver.resolveMx(domain)
    // RFC 7505: a single "." exchange says the domain accepts no mail.
    if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.')) {
      throw new DnsLookupError('NULLMX', `${domain} publishes a null MX record: it accepts no mail`)
    }
    exchanges = mx.sort((a, b) => a.priority - b.priority).map((m) => m.exchange)
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EDNS'
    if (err instanceof DnsLookupError) throw err
    if (code === 'ENODATA') exchanges = [domain]
    else throw new DnsLookupError(code, `MX lookup for ${domain} failed: ${code}`)
  }
  const hosts: MxHost[] = []
  for (const host of exchanges) {
    const addresses: string[] = []
    for (const family of ['resolve4', 'resolve6'] as const) {
      try {
        addresses.push(...(await resolver[family](host)))
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'ENOTFOUND' && host === domain && exchanges.length === 1) {
          throw new DnsLookupError('ENOTFOUND', `${domain} does not exist in DNS`)
        }
        // A missing family is normal; the other may have the address.
      }
    }
    hosts.push({ host, addresses })
  }
  if (hosts.every((h) => h.addresses.length === 0)) {
    throw new DnsLookupError('ENOADDR', `no address found for the mail hosts of ${domain} (${exchanges.join(', ')})`)
  }
  return hosts
}
