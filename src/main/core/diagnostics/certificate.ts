import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import type { CheckVerdict } from '../../../shared/diagnostics.ts'
import type { TlsFacts } from './smtp-probe.ts'

// What a server's certificate says to the admin: trusted or not (against the
// CA certificate given, else the system's roots, as delivery trusts it),
// expired or soon, for the right name. An untrusted certificate is fixed by
// giving its CA, never by switching verification off.

/** A certificate expiring within this many days is a warning. */
export const EXPIRY_WARN_DAYS = 14
const DAY_MS = 86_400_000

export interface CertificateJudgement {
  verdict: CheckVerdict
  summary: string
  fix?: string
  field?: string
  detail: string
}

export interface CertificateSituation {
  /** The name the certificate must carry: Relay Host or the MX's name. */
  host: string
  /** Whether delivery verifies this certificate (and so fails when it does not verify). */
  verified: boolean
  /** Why it is not verified, when it is not ("Verify certificate is off"). */
  notVerifiedBecause?: string
  /** Verify certificate is off: a CA certificate given then is not used until it is on again. */
  verifyOff?: boolean
  caGiven: boolean
  direct: boolean
  now: number
}

const CHAIN_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'is issued by a private certificate authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'is issued by a certificate authority this workstation does not know',
  UNABLE_TO_GET_ISSUER_CERT: 'is issued by a certificate authority this workstation does not know',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot be traced to a certificate authority this workstation trusts (the server may not send its intermediate certificate)',
  CERT_SIGNATURE_FAILURE: 'has a signature that does not verify',
  CERT_REVOKED: 'has been revoked',
  CERT_UNTRUSTED: 'is not trusted for this use',
  INVALID_CA: 'is issued by a certificate that is not a certificate authority',
}

/** Codes about dates and names, which are judged from the certificate itself. */
const NOT_ABOUT_TRUST = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID'])

function name(entity: PeerCertificate['subject'] | undefined): string {
  if (!entity) return 'unknown'
  const cn = Array.isArray(entity.CN) ? entity.CN[0] : entity.CN
  const o = Array.isArray(entity.O) ? entity.O[0] : entity.O
  return cn ?? o ?? 'unknown'
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function names(cert: PeerCertificate): string {
  const alt = cert.subjectaltname?.replace(/\b(DNS|IP Address):/g, '').replace(/\s*,\s*/g, ', ')
  return alt || name(cert.subject)
}

function describe(cert: PeerCertificate, facts: TlsFacts): string {
  return [
    `Subject: ${name(cert.subject)}`,
    `Names: ${names(cert)}`,
    `Issuer: ${name(cert.issuer)}`,
    `Valid: ${cert.valid_from} to ${cert.valid_to}`,
    `SHA-256 fingerprint: ${cert.fingerprint256}`,
    `TLS: ${facts.protocol ?? '?'}${facts.cipher ? ` ${facts.cipher}` : ''}`,
    facts.authorizationError ? `Verification: ${facts.authorizationError}` : 'Verification: trusted',
  ].join('\n')
}

/** The verdict on a server's certificate, with the setting that fixes it. */
export function judgeCertificate(facts: TlsFacts, s: CertificateSituation): CertificateJudgement {
  const cert = facts.cert
  if (!cert) return { verdict: 'fail', summary: `${s.host} sent no certificate.`, detail: `TLS: ${facts.protocol ?? '?'}` }
  const detail = describe(cert, facts)
  const admin = s.direct ? `the administrator of ${s.host}` : "the relay's administrator"
  const notAfter = Date.parse(cert.valid_to)
  const notBefore = Date.parse(cert.valid_from)
  const failOrWarn: CheckVerdict = s.verified ? 'fail' : 'warn'
  const unverifiedNote = s.verified ? '' : ` Mail still goes, because ${s.notVerifiedBecause ?? 'the settings do not verify it'}, but nothing proves the server is ${s.host}.`

  if (notAfter < s.now) {
    return { verdict: failOrWarn, summary: `The certificate of ${s.host} expired on ${day(notAfter)}.${unverifiedNote}`, fix: `Ask ${admin} to renew it: no setting here can make an expired certificate valid.`, detail }
  }
  if (notBefore > s.now) {
    return { verdict: failOrWarn, summary: `The certificate of ${s.host} is not valid before ${day(notBefore)}: its date, or this workstation's clock, is wrong.`, fix: `Check this workstation's date and time; if they are right, ask ${admin} to fix the certificate.`, detail }
  }
  const trustCode = facts.authorizationError && !NOT_ABOUT_TRUST.has(facts.authorizationError) ? facts.authorizationError : null
  if (trustCode) {
    const what = CHAIN_CODES[trustCode] ?? `does not verify (${trustCode})`
    const ca = s.caGiven ? ' The CA certificate in the settings did not sign it.' : ''
    const fix = !s.direct
      ? `Ask ${admin} for the certificate authority that signed it (issuer: ${name(cert.issuer)}) and paste it under Advanced as CA certificate${s.verifyOff ? ', with Verify certificate on' : ''}.`
      : s.verified
        ? `Direct delivery with Use TLS on trusts only certificates from public authorities: turn Use TLS off for direct delivery (STARTTLS is still used wherever offered), or send through a relay (Relay Host).`
        : `Nothing to change for delivery: only the administrator of ${s.host} can fix its certificate.`
    return {
      verdict: failOrWarn,
      summary: `The certificate of ${s.host} ${what} (issuer: ${name(cert.issuer)}).${ca}${unverifiedNote}`,
      fix,
      ...(s.direct ? (s.verified ? { field: 'useTls' } : {}) : { field: 'caPem' }),
      detail,
    }
  }
  const mismatch = checkServerIdentity(s.host, cert)
  if (mismatch) {
    return {
      verdict: failOrWarn,
      summary: `The certificate of ${s.host} is for ${names(cert)}, not for ${s.host}.${unverifiedNote}`,
      fix: !s.direct
        ? `Set Relay Host to a name the certificate carries (${names(cert)}), as the relay's provider documents it.`
        : s.verified
          ? `The mail server's certificate does not carry its MX name: turn Use TLS off for direct delivery, or send through a relay (Relay Host).`
          : `Nothing to change for delivery: only the administrator of ${s.host} can fix its certificate.`,
      ...(s.direct ? (s.verified ? { field: 'useTls' } : {}) : { field: 'relayHost' }),
      detail,
    }
  }
  const daysLeft = Math.floor((notAfter - s.now) / DAY_MS)
  if (daysLeft < EXPIRY_WARN_DAYS) {
    return {
      verdict: 'warn',
      summary: `The certificate of ${s.host} is trusted but expires ${daysLeft === 0 ? 'within a day' : `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`} (${day(notAfter)}).`,
      fix: `Ask ${admin} to renew it before ${day(notAfter)}: after that, mail stops until it is.`,
      detail,
    }
  }
  return { verdict: 'pass', summary: `The certificate of ${s.host} is trusted (issuer: ${name(cert.issuer)}), carries its name and is valid until ${day(notAfter)}.`, detail }
}
