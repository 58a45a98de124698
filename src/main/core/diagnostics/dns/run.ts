import { Resolver } from 'node:dns/promises'
import type { Check, CheckId } from '../../../../shared/diagnostics.ts'
import { blocklistCheck } from './blocklist.ts'
import { senderMxCheck } from './bounces.ts'
import { dkimCheck } from './dkim.ts'
import { dmarcCheck } from './dmarc.ts'
import { heloCheck } from './helo.ts'
import { hostnameCheck } from './hostname.ts'
import type { DnsCheckInput } from './input.ts'
import { ptrCheck } from './ptr.ts'
import { spfCheck } from './spf.ts'

// All DNS checks at once, each on a resolver of its own so that one whose
// time is up can be cancelled without touching the others; every check ends
// in a verdict within its time, answered or not.

export const DNS_CHECKS: { id: CheckId; title: string; run: (input: DnsCheckInput) => Promise<Check> }[] = [
  { id: 'dns.hostname', title: 'Hostname has an address in DNS', run: hostnameCheck },
  { id: 'dns.ptr', title: 'Reverse DNS of the outgoing address', run: ptrCheck },
  { id: 'dns.helo', title: 'EHLO name is a real domain name', run: heloCheck },
  { id: 'dns.spf', title: 'SPF allows this system to send for the From Address domain', run: spfCheck },
  { id: 'dns.dmarc', title: 'DMARC policy of the From Address domain', run: dmarcCheck },
  { id: 'dns.mx', title: 'The From Address domain can receive bounces', run: senderMxCheck },
  { id: 'dns.dkim', title: 'DKIM key published', run: dkimCheck },
  { id: 'dns.blocklist', title: 'Outgoing address on DNS blocklists', run: blocklistCheck },
]

export interface DnsChecksOptions {
  /** Each check's time limit; 5 s by default. */
  timeoutMs?: number
  /** Called as each check finishes, in the order they finish (the progress events). */
  onCheck?: (check: Check) => void
}

export const DNS_CHECK_TIMEOUT_MS = 5000

/** Runs every DNS check concurrently; the checks come back in DNS_CHECKS order. */
export function dnsChecks(input: DnsCheckInput, options: DnsChecksOptions = {}): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? DNS_CHECK_TIMEOUT_MS
  return Promise.all(
    DNS_CHECKS.map(async (check) => {
      const result = await withTimeout(check, input, timeoutMs)
      options.onCheck?.(result)
      return result
    }),
  )
}

/** One check on a resolver of its own, cut off after timeoutMs with a warn that says the DNS did not answer. */
export async function withTimeout(check: (typeof DNS_CHECKS)[number], input: DnsCheckInput, timeoutMs: number): Promise<Check> {
  // Each query may take a third of the check's time, and is asked twice, so a lone lookup that never comes back still ends in the check's own words.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 3)), tries: 2 })
  resolver.setServers(input.resolver.getServers())
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<Check>((resolve) => {
    timer = setTimeout(() => {
      resolver.cancel()
      resolve({
        id: check.id,
        title: check.title,
        verdict: 'warn',
        summary: `The DNS servers gave no complete answer within ${formatSeconds(timeoutMs)}, so this was not checked.`,
        detail: `DNS servers: ${input.resolver.getServers().join(', ')}`,
        fix: 'Check that this system can reach its DNS servers (port 53), then run the checks again.',
        ms: Math.round(performance.now() - started),
      })
    }, timeoutMs)
  })
  try {
    return await Promise.race([check.run({ ...input, resolver }), expired])
  } finally {
    clearTimeout(timer)
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
