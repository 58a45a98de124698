import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { DkimKeyChoice, DkimKeyView } from '../../../shared/dkim.ts'
import { DKIM_KEY_LABEL } from '../../../shared/labels.ts'

// The DKIM private key: made here (RSA 2048 or Ed25519) or read from a
// pasted PEM, checked, and described for the window by its public half only.

const generate = promisify(generateKeyPair)

/** A key the admin pasted that cannot sign; the message says why, in the admin's words. */
export class DkimKeyRejected extends Error {
  override name = 'DkimKeyRejected'
}

/** Below this RSA keys are refused: RFC 8301 forbids verifiers to accept them. */
const RSA_MIN_BITS = 1024
/** Below this RSA keys are taken, with a warning: receivers such as Gmail ask for 2048. */
const RSA_GOOD_BITS = 2048

export interface DkimKey {
  pem: string
  view: DkimKeyView
}

/** The public half as DKIM's p= carries it: SubjectPublicKeyInfo for RSA (RFC 6376 3.6.1), the raw 32 bytes for Ed25519 (RFC 8463 4). */
export function describeKey(key: KeyObject): DkimKeyView {
  const pub = createPublicKey(key)
  if (key.asymmetricKeyType === 'ed25519') {
    const der = pub.export({ type: 'spki', format: 'der' })
    return { algorithm: 'ed25519', bits: 256, publicKey: der.subarray(der.length - 32).toString('base64'), warning: null }
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  return {
    algorithm: 'rsa',
    bits,
    publicKey: pub.export({ type: 'spki', format: 'der' }).toString('base64'),
    warning: dkimKeyWarning('rsa', bits),
  }
}

/** What a key in use warns of: an RSA key under 2048 bits. */
export function dkimKeyWarning(algorithm: DkimKeyView['algorithm'], bits: number): string | null {
  return algorithm === 'rsa' && bits < RSA_GOOD_BITS
    ? `This RSA key has ${bits} bits: receivers such as Gmail and Microsoft expect at least 2048, and may treat its signatures as missing. Generate an RSA 2048 key to replace it.`
    : null
}

/** Ed25519's SubjectPublicKeyInfo before its 32 key bytes (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** The public key as PEM, from the p= value (what the dns.dkim check compares the published record with). */
export function publicKeyPem(key: Pick<DkimKeyView, 'algorithm' | 'publicKey'>): string {
  const raw = Buffer.from(key.publicKey, 'base64')
  const der = key.algorithm === 'ed25519' ? Buffer.concat([ED25519_SPKI_PREFIX, raw]) : raw
  return createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString()
}

export async function generateDkimKey(choice: DkimKeyChoice): Promise<DkimKey> {
  const { privateKey } = choice === 'ed25519' ? await generate('ed25519') : await generate('rsa', { modulusLength: 2048 })
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), view: describeKey(privateKey) }
}

/** Reads a pasted key: PKCS#8 or PKCS#1 PEM, RSA of 1024 bits or more (warned below 2048), or Ed25519. */
export function parseDkimKey(text: string): DkimKey {
  const pem = text.trim()
  if (pem === '') throw new DkimKeyRejected(`Paste the ${DKIM_KEY_LABEL} in PEM form, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----, or generate one.`)
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem) && !/PRIVATE KEY-----/.test(pem)) {
    throw new DkimKeyRejected(`This is a public key or a certificate; the ${DKIM_KEY_LABEL} is the other half, the block that starts with -----BEGIN PRIVATE KEY-----. The public key goes into the DNS record.`)
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new DkimKeyRejected(`This key is protected by a passphrase. Export it without one (openssl pkey -in key.pem -out plain.pem); the console stores it encrypted itself.`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    throw new DkimKeyRejected(`The ${DKIM_KEY_LABEL} cannot be read: paste the whole PEM block, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----, with nothing changed inside it.`)
  }
  const type = key.asymmetricKeyType
  if (type !== 'rsa' && type !== 'ed25519') {
    throw new DkimKeyRejected(`This is ${type === 'ec' ? 'an EC (ECDSA)' : `an ${type ?? 'unknown'}`} key; DKIM signs with RSA or Ed25519 keys only. Generate one here, or paste an RSA or Ed25519 key.`)
  }
  const view = describeKey(key)
  if (type === 'rsa' && view.bits < RSA_MIN_BITS) {
    throw new DkimKeyRejected(`This RSA key has ${view.bits} bits; receivers ignore DKIM signatures made with keys under 1024 bits (RFC 8301). Generate an RSA 2048 key instead.`)
  }
  // Stored as PKCS#8 whatever was pasted, so every stored key reads the same way.
  return { pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), view }
}

/**
 * Keys generated for the form and not yet saved, held in memory under an id the window
 * sends back with Submit: the private key never crosses to the window, and Cancel (never
 * submitting) leaves the saved key as it was. Lost with a restart, said so at Submit.
 */
export class PendingDkimKeys {
  private readonly keys = new Map<string, { key: DkimKey; at: number }>()
  private static readonly MAX = 8
  private static readonly TTL_MS = 24 * 3600 * 1000

  private readonly now: () => number

  constructor(now: () => number = Date.now) {
    this.now = now
  }

  add(key: DkimKey): string {
    for (const [id, held] of this.keys) if (this.now() - held.at > PendingDkimKeys.TTL_MS) this.keys.delete(id)
    while (this.keys.size >= PendingDkimKeys.MAX) this.keys.delete(this.keys.keys().next().value!)
    const id = randomBytes(16).toString('hex')
    this.keys.set(id, { key, at: this.now() })
    return id
  }

  /** The key under `id`, removed once saved; null when unknown (a restart, or generated too long ago). */
  get(id: string): DkimKey | null {
    return this.keys.get(id)?.key ?? null
  }

  forget(id: string): void {
    this.keys.delete(id)
  }
}
