import { Resolver } from 'node:dns/promises'
import { decodeFailure } from '../errors/decoder.ts'
import { domainOf } from '../queue/queue.ts'
import { aborted, forEach, internalFailure, kindOf, type RecipientOutcome } from '../queue/outcome.ts'
import { DnsLookupError, resolveMailHosts, type MxHost } from './mx.ts'
import { SessionError, SmtpSession, type SessionTarget } from './session.ts'
import type { DeliveryJob, Transport } from './transport.ts'

// Direct delivery: recipients grouped by domain, each domain's MX hosts tried
// lowest preference first, the next when one cannot be reached; a domain
// without MX is reached at its own A/AAAA address (RFC 5321 5.1).

export interface DirectOptions {
  base: Omit<SessionTarget, 'host' | 'address' | 'port' | 'direct' | 'auth'>
  port: number
  dnsServers: string[] | null
}

export class DirectTransport implements Transport {
  private readonly options: DirectOptions
  private readonly resolver: Resolver

  constructor(options: DirectOptions) {
    this.options = options
    this.resolver = new Resolver({ timeout: 5000, tries: 2 })
    if (options.dnsServers && options.dnsServers.length) this.resolver.setServers(options.dnsServers)
  }

  async deliver(job: DeliveryJob): Promise<RecipientOutcome[]> {
    const byDomain = new Map<string, string[]>()
    for (const r of job.recipients) {
      const d = domainOf(r)
      byDomain.set(d, [...(byDomain.get(d) ?? []), r])
    }
    // Each domain stands alone: a fault in one must not make the others, already delivered, go again.
    const results = await Promise.all(
      [...byDomain].map(([domain, rcpts]) =>
        this.deliverDomain(job, domain, rcpts).catch((err: Error) =>
          forEach(rcpts, internalFailure(err)),
        ),
      ),
    )
    return results.flat()
  }

  private async deliverDomain(job: DeliveryJob, domain: string, recipients: string[]): Promise<RecipientOutcome[]> {
    let hosts: MxHost[]
    try {
      hosts = await resolveMailHosts(this.resolver, domain)
    } catch (err) {
      const e = err as DnsLookupError
      if (e.code === 'NULLMX') {
        // RFC 7505 3.2: a null MX is a permanent "no mail here", reported with 5.1.10.
        return forEach(recipients, { kind: 'bounced', relay: null, reply: e.message, dsn: '5.1.10', tls: null, cause: 'recipient-domain-not-found' })
      }
      const decoded = decodeFailure({ message: e.message, code: e.code }, { phase: 'dns', host: domain, direct: true })
      return forEach(recipients, { kind: kindOf(decoded.disposition), relay: null, reply: e.message, dsn: decoded.dsn, tls: null, cause: decoded.cause })
    }
    let last: SessionError | null = null
    for (const mx of hosts) {
      for (const address of mx.addresses) {
        if (job.signal.aborted) break
        const target: SessionTarget = { ...this.options.base, host: mx.host, address, port: this.options.port, direct: true, auth: null }
        let session: SmtpSession
        try {
          session = await SmtpSession.open(target, job.hooks ?? {}, job.signal)
        } catch (err) {
          if (!(err instanceof SessionError)) throw err
          last = err
          // A 5xx greeting or EHLO is an answer, not an unreachable host: do not shop around.
          if (err.outcome.kind === 'bounced') return forEach(recipients, err.outcome)
          continue
        }
        try {
          return await session.send(job.from, recipients, job.raw, job.signal)
        } finally {
          session.close()
        }
      }
    }
    return forEach(recipients, last?.outcome ?? aborted())
  }

  close(): void {}
}
