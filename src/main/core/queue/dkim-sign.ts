import { createHash, sign as signData, type KeyObject } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import DKIM from 'nodemailer/lib/dkim'
import MessageParser, { type MessageParserHeaderLine } from 'nodemailer/lib/dkim/message-parser'
import RelaxedBody from 'nodemailer/lib/dkim/relaxed-body'
import nodemailerSign from 'nodemailer/lib/dkim/sign'
import { foldLines } from 'nodemailer/lib/mime-funcs'

// DKIM-Signature on a composed message, at submit, so the queue holds the
// bytes that will be sent. RSA goes through nodemailer's signer; nodemailer
// signs only with RSA (an Ed25519 key leaves the message silently unsigned),
// so Ed25519 (RFC 8463) uses nodemailer's parser, body hash and header
// canonicalisation, and only the last step, the signature itself, is ours.

export interface DkimSignature {
  domainName: string
  keySelector: string
  algorithm: 'rsa' | 'ed25519'
  privateKey: KeyObject
}

/** The fields signed when present: those a receiver shows or threads by, so none can be changed on the way without breaking the signature. */
export const SIGNED_FIELDS = 'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:In-Reply-To:References:List-Unsubscribe'

/** Refused when a key cannot sign: the message is not queued unsigned behind the admin's back. */
export class DkimSignFailed extends Error {
  override name = 'DkimSignFailed'
}

export async function signMessage(raw: Buffer, key: DkimSignature): Promise<Buffer> {
  const signed = key.algorithm === 'ed25519' ? await signEd25519(raw, key) : await signRsa(raw, key)
  if (!signed.subarray(0, 16).toString('latin1').startsWith('DKIM-Signature:')) {
    throw new DkimSignFailed(`The message could not be signed with the DKIM key for ${key.domainName}; nothing was queued. Generate or paste the key again in Edit Settings.`)
  }
  return signed
}

async function signRsa(raw: Buffer, key: DkimSignature): Promise<Buffer> {
  const dkim = new DKIM({ domainName: key.domainName, keySelector: key.keySelector, privateKey: key.privateKey, headerFieldNames: SIGNED_FIELDS })
  const chunks: Buffer[] = []
  for await (const chunk of dkim.sign(raw)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function signEd25519(raw: Buffer, key: DkimSignature): Promise<Buffer> {
  const parser = new MessageParser()
  const body = new RelaxedBody({ hashAlgo: 'sha256' })
  let headers: MessageParserHeaderLine[] = []
  let bodyHash = ''
  parser.on('headers', (h: MessageParserHeaderLine[]) => (headers = h))
  body.on('hash', (h: string) => (bodyHash = h))
  await pipeline(Readable.from([raw]), parser, body, new Writable({ write: (_c, _e, done) => done() }))

  const canonical = nodemailerSign.relaxedHeaders(headers, SIGNED_FIELDS)
  const tags = ['v=1', 'a=ed25519-sha256', 'c=relaxed/relaxed', `d=${key.domainName}`, 'q=dns/txt', `s=${key.keySelector}`, `bh=${bodyHash}`, `h=${canonical.fieldNames}`]
  const field = `${foldLines(`DKIM-Signature: ${tags.join('; ')}`, 76)};\r\n b=`
  // RFC 8463 3: the header hash of RFC 6376 3.7 with SHA-256, signed with PureEdDSA.
  const hash = createHash('sha256')
    .update(canonical.headers, 'latin1')
    .update(`dkim-signature:${relaxedValue(field)}`, 'latin1')
    .digest()
  const b = signData(null, hash, key.privateKey).toString('base64')
  return Buffer.concat([Buffer.from(`${field}${b}\r\n`, 'latin1'), raw])
}

/** A header's value as relaxed canonicalisation has it (RFC 6376 3.4.2): unfolded, runs of blanks as one space, trimmed. */
function relaxedValue(line: string): string {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '')
}
