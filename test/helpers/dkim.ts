import { Resolver } from 'node:dns/promises'
import { dkimVerify } from 'mailauth/lib/dkim/verify.js'
import type { DKIMResult } from 'mailauth'

// DKIM checked by an independent verifier, as a receiver does: mailauth reads
// the DKIM-Signature, asks DNS (a dns2 server on loopback, test/helpers/dns.ts)
// for the selector's TXT record, and checks the body hash and the signature.

export interface DkimVerdict {
  result: string
  /** Why it failed, in the verifier's words. */
  comment: string | undefined
  domain: string | undefined
  selector: string | undefined
  algorithm: string | undefined
  /** The signed header fields, from h=. */
  signedFields: string[]
}

export async function verifyDkim(raw: string | Buffer, dnsServer: string): Promise<DkimVerdict[]> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 })
  resolver.setServers([dnsServer])
  const result = await dkimVerify(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw, {
    resolver: async (name, type) => {
      if (type !== 'TXT') throw Object.assign(new Error(`unexpected ${type} query`), { code: 'ENOTFOUND' })
      return resolver.resolveTxt(name)
    },
  })
  return result.results.map((r: DKIMResult) => ({
    result: r.status.result,
    comment: r.status.comment,
    domain: r.signingDomain,
    selector: r.selector,
    algorithm: r.algo,
    signedFields: (r.signingHeaders?.keys ?? '').split(':').map((k) => k.trim().toLowerCase()).filter(Boolean),
  }))
}
