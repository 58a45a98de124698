// DKIM as both sides see it: which keys the console makes, the selector's and
// the domain's rules, and the TXT record to publish. Pure text: the keys
// themselves are made and read in the main process (settings/dkim-key.ts).

/** The keys Edit Settings generates: RSA 2048 works with every receiver; Ed25519 (RFC 8463) is short but not yet verified everywhere. */
export const DKIM_KEY_CHOICES = ['rsa-2048', 'ed25519'] as const
export type DkimKeyChoice = (typeof DKIM_KEY_CHOICES)[number]

export const DKIM_KEY_CHOICE_LABELS: Record<DkimKeyChoice, string> = {
  'rsa-2048': 'RSA 2048',
  ed25519: 'Ed25519',
}

/** A stored or generated key as the window may see it: everything but the private key. */
export interface DkimKeyView {
  algorithm: 'rsa' | 'ed25519'
  /** Key size: the RSA modulus, or 256 for Ed25519. */
  bits: number
  /** The p= value: base64 of the public key (SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519). */
  publicKey: string
  /** Said while this key is in use, e.g. an RSA key under 2048 bits. */
  warning: string | null
}

/** The record to publish: its name, its value, and the value cut into DNS strings of at most 255 characters. */
export interface DkimRecord {
  name: string
  value: string
  strings: string[]
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i

/** A selector is a DNS name part: one label, or several separated by dots (RFC 6376 3.1). */
export function isDkimSelector(value: string): boolean {
  return value.length > 0 && value.length <= 63 * 2 && value.split('.').every((l) => LABEL.test(l))
}

/** The domain of an address, lower case; null for an address literal ([192.0.2.1]) that no DNS record can be published for. */
export function addressDomain(address: string): string | null {
  const domain = address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase().replace(/\.$/, '')
  return domain === '' || domain.startsWith('[') ? null : domain
}

/** The d= domain: DKIM domain as entered, or the From Address's domain when blank. */
export function dkimSigningDomain(s: { dkimDomain: string; fromAddress: string }): string | null {
  const given = s.dkimDomain.trim().toLowerCase().replace(/\.$/, '')
  return given !== '' ? given : addressDomain(s.fromAddress)
}

/**
 * Whether a signature for `domain` aligns with mail from `fromDomain` under DMARC: the same domain
 * (strict) or a parent of it (relaxed, as long as the parent is the organizational domain).
 */
export function dkimAligned(domain: string, fromDomain: string): boolean {
  return fromDomain === domain || fromDomain.endsWith(`.${domain}`)
}

export function dkimRecordName(selector: string, domain: string): string {
  return `${selector.trim().toLowerCase()}._domainkey.${domain}`
}

export function dkimRecordValue(key: Pick<DkimKeyView, 'algorithm' | 'publicKey'>): string {
  return `v=DKIM1; k=${key.algorithm}; p=${key.publicKey}`
}

/** A TXT string holds at most 255 characters (RFC 1035 3.3.14); an RSA 2048 record is about 400. */
export function dkimRecordStrings(value: string): string[] {
  const out: string[] = []
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255))
  return out
}

export function dkimRecord(selector: string, domain: string, key: Pick<DkimKeyView, 'algorithm' | 'publicKey'>): DkimRecord {
  const value = dkimRecordValue(key)
  return { name: dkimRecordName(selector, domain), value, strings: dkimRecordStrings(value) }
}

/** The record as a zone file line, the form most DNS panels and BIND take: each string quoted. */
export function dkimZoneLine(record: DkimRecord): string {
  return `${record.name}. IN TXT ${record.strings.map((s) => `"${s}"`).join(' ')}`
}
