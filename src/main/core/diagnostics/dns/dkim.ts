import { createPublicKey, type KeyObject } from 'node:crypto'
import type { Check } from '../../../../shared/diagnostics.ts'
import { parseTags } from './dmarc.ts'
import { describeDnsError, dnsCode, normalName, timed, txtRecords, type CheckBody, type DkimKey, type DnsCheckInput } from './input.ts'
import { publishTxt } from './records.ts'

// dns.dkim: the key record at <selector>._domainkey.<domain> (RFC 6376 3.6.1)
// holds the public half of the key messages are signed with; otherwise every
// signature fails at the receiver.

const TITLE = 'DKIM key published'

export function dkimCheck(input: DnsCheckInput): Promise<Check> {
  return timed('dns.dkim', TITLE, () => dkimBody(input))
}

/** The TXT value to publish for a key: k=rsa with the SPKI, or k=ed25519 with the raw 32 bytes (RFC 8463). */
export function dkimRecordValue(publicKeyPem: string): string {
  const key = createPublicKey(publicKeyPem)
  return `v=DKIM1; k=${keyType(key)}; p=${publicKeyData(key)}`
}

function keyType(key: KeyObject): 'rsa' | 'ed25519' {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ed25519') return key.asymmetricKeyType
  throw new Error(`DKIM signs with RSA or Ed25519 keys, not ${key.asymmetricKeyType}`)
}

function publicKeyData(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url').toString('base64')
  return key.export({ format: 'der', type: 'spki' }).toString('base64')
}

/** The key of a p= value of the given type, or null when it is no key. RSA keys are SPKI, some publish PKCS#1. */
function publishedKey(p: string, k: string): KeyObject | null {
  const der = Buffer.from(p, 'base64')
  try {
    if (k === 'ed25519') return der.length === 32 ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: der.toString('base64url') }, format: 'jwk' }) : null
    try {
      return createPublicKey({ key: der, format: 'der', type: 'spki' })
    } catch {
      return createPublicKey({ key: der, format: 'der', type: 'pkcs1' })
    }
  } catch {
    return null
  }
}

async function dkimBody(input: DnsCheckInput): Promise<CheckBody> {
  const dkim: DkimKey | undefined = input.dkim
  if (!dkim) return { verdict: 'skip', summary: 'DKIM signing is off, so there is no key record to check.' }
  const name = `${dkim.selector.trim()}._domainkey.${normalName(dkim.domain)}`
  let ours: KeyObject
  try {
    ours = createPublicKey(dkim.publicKeyPem)
    keyType(ours)
  } catch (err) {
    return { verdict: 'fail', summary: `The DKIM key in the settings cannot be read: ${(err as Error).message}.`, fix: 'Generate a new DKIM key in the console, or paste the private key again.', field: dkim.fields?.selector }
  }
  const expected = dkimRecordValue(dkim.publicKeyPem)
  const publish = publishTxt(name, expected)
  let records: string[]
  try {
    records = await txtRecords(input.resolver, name)
  } catch (err) {
    return { verdict: 'warn', summary: `The DKIM record at ${name} could not be read: ${describeDnsError(dnsCode(err))}.`, fix: 'Run the checks again; if this stays, check the DNS servers this system uses.' }
  }
  const keys = records.map((r) => ({ record: r, tags: parseTags(r) })).filter((r) => r.tags.has('p'))
  if (keys.length === 0) {
    return { verdict: 'fail', summary: `No DKIM key is published at ${name}, so receivers cannot verify the signatures of this system's messages.`, detail: records.join('\n') || undefined, fix: publish, field: dkim.fields?.selector }
  }
  const problems: string[] = []
  for (const { record, tags } of keys) {
    const v = tags.get('v')
    const k = (tags.get('k') ?? 'rsa').toLowerCase()
    const p = (tags.get('p') ?? '').replace(/\s+/g, '')
    if (v !== undefined && (v !== 'DKIM1' || !/^\s*v\s*=/.test(record))) problems.push(`v= must be DKIM1 and come first (found v=${v})`)
    else if (p === '') problems.push('p= is empty: the key is revoked')
    else if (k !== keyType(ours)) problems.push(`the record is for k=${k}, the key in the settings is ${keyType(ours)}`)
    else {
      const theirs = publishedKey(p, k)
      if (!theirs) problems.push('p= holds no valid public key')
      else if (theirs.equals(ours)) return { verdict: 'pass', summary: `${name} publishes the public key this system signs with (${k}).`, detail: record }
      else problems.push('p= is a different key from the one in the settings')
    }
  }
  return {
    verdict: 'fail',
    summary: `The DKIM record at ${name} does not match the signing key: ${problems[0]}, so receivers fail the signatures.`,
    detail: keys.map((r) => r.record).join('\n'),
    fix: publish,
    field: dkim.fields?.selector,
  }
}
