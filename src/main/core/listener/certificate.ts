import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// The certificate local submission offers with STARTTLS when the admin gives
// none: self-signed, made once in the data directory (key 0600). Written in
// DER by hand, because Node makes keys but not certificates, and the desktop
// app cannot count on an openssl command.

export const CERT_FILE = 'listener-cert.pem'
export const KEY_FILE = 'listener-key.pem'

export interface TlsFiles {
  cert: string
  key: string
}

/** The given PEM files, or the console's own certificate, made when missing. */
export function listenerCertificate(dataDir: string, given: { certFile: string; keyFile: string }, hostname: string): TlsFiles {
  if (given.certFile !== '') {
    return { cert: readFileSync(given.certFile, 'utf8'), key: readFileSync(given.keyFile, 'utf8') }
  }
  const certPath = join(dataDir, CERT_FILE)
  const keyPath = join(dataDir, KEY_FILE)
  if (existsSync(certPath) && existsSync(keyPath)) return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
  const made = selfSigned(hostname)
  writeFileSync(keyPath, made.key, { mode: 0o600 })
  chmodSync(keyPath, 0o600)
  writeFileSync(certPath, made.cert, { mode: 0o600 })
  return made
}

/** A self-signed P-256 certificate for `hostname`, localhost, 127.0.0.1 and ::1, valid ten years. */
export function selfSigned(hostname: string, now = new Date()): TlsFiles {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'))
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(hostname)))))
  const until = new Date(now.getTime() + 10 * 365 * 86400_000)
  const names = [...new Set([hostname, 'localhost'])].map((n) => tlv(0x82, Buffer.from(n)))
  const ips = [Buffer.from([127, 0, 0, 1]), Buffer.concat([Buffer.alloc(15), Buffer.from([1])])].map((ip) => tlv(0x87, ip))
  const san = seq(oid('2.5.29.17'), tlv(0x04, seq(...names, ...ips)))
  const basic = seq(oid('2.5.29.19'), tlv(0x04, seq()))
  const serial = randomBytes(16)
  serial[0]! &= 0x7f
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaSha256,
    name,
    seq(time(now), time(until)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(basic, san)),
  )
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { cert, key }
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), len, body])
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts))
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts))
const integer = (b: Buffer) => tlv(0x02, b)

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const bytes = [a! * 40 + b!]
  for (const v of rest) {
    const chunk = [v & 0x7f]
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`))
}
