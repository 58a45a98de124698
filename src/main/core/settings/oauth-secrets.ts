import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { CLIENT_SECRET_LABEL, FIELD_LABELS, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL } from '../../../shared/labels.ts'
import { parseServiceAccountKey, pemCertificates, type AuthMethod, type ServiceAccountKey } from '../../../shared/settings.ts'

// The OAuth 2.0 secrets as the settings file keeps them: each sealed by the
// same cipher as the Password, apart from the settings, per Sign-in method.
// What is not secret (the service account's address, its key id) is kept in
// clear so the window can say which key is saved.

export interface SealedOAuth {
  /** Microsoft 365's client secret, sealed. */
  microsoftSecret: string | null
  /** The private key of the Microsoft 365 app's certificate, sealed. */
  microsoftKey: string | null
  /** Another provider's client secret, sealed. */
  customSecret: string | null
  /** Google's service account key: its private key sealed, the rest in clear. */
  google: { clientEmail: string; privateKeyId: string; privateKey: string } | null
}

export const NO_OAUTH: SealedOAuth = { microsoftSecret: null, microsoftKey: null, customSecret: null, google: null }

/** The secret a method needs to sign in, by its label, when none is saved: null when it has what it needs. */
export function missingSecret(method: AuthMethod, credential: 'secret' | 'certificate', o: SealedOAuth): string | null {
  if (method === 'oauth-microsoft') return credential === 'secret' ? (o.microsoftSecret ? null : CLIENT_SECRET_LABEL) : o.microsoftKey ? null : PRIVATE_KEY_LABEL
  if (method === 'oauth-custom') return o.customSecret ? null : CLIENT_SECRET_LABEL
  if (method === 'oauth-google') return o.google ? null : SERVICE_ACCOUNT_KEY_LABEL
  return null
}

/** Reads the `oauth` part of a settings file; a string says what is wrong with it. */
export function readSealedOAuth(raw: unknown): SealedOAuth | string {
  if (raw === undefined || raw === null) return { ...NO_OAUTH }
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'it is not a set of sealed secrets'
  const r = raw as Record<string, unknown>
  const sealed = (v: unknown) => (typeof v === 'string' && v !== '' ? v : v === undefined || v === null || v === '' ? null : undefined)
  const microsoftSecret = sealed(r.microsoftSecret)
  const microsoftKey = sealed(r.microsoftKey)
  const customSecret = sealed(r.customSecret)
  if (microsoftSecret === undefined || microsoftKey === undefined || customSecret === undefined) return 'a secret in it is not sealed text'
  let google: SealedOAuth['google'] = null
  if (r.google !== undefined && r.google !== null) {
    const g = r.google as Record<string, unknown>
    if (typeof g !== 'object' || typeof g.clientEmail !== 'string' || typeof g.privateKeyId !== 'string' || typeof g.privateKey !== 'string' || g.privateKey === '') {
      return `its ${SERVICE_ACCOUNT_KEY_LABEL} is not as saved`
    }
    google = { clientEmail: g.clientEmail, privateKeyId: g.privateKeyId, privateKey: g.privateKey }
  }
  return { microsoftSecret, microsoftKey, customSecret, google }
}

/** An RSA private key from PEM, or what is wrong with it in the admin's words (RS256 signs with RSA only). */
export function readRsaKey(pem: string, label: string): KeyObject | string {
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch (err) {
    return `The ${label} cannot be read (${(err as Error).message.replace(/^error:[^:]*:/, '')}). Paste the PEM text exactly as exported, from its BEGIN line to its END line, without a passphrase.`
  }
  if (key.asymmetricKeyType !== 'rsa') return `The ${label} is a ${key.asymmetricKeyType?.toUpperCase() ?? 'non-RSA'} key; the token endpoint expects an RSA key (RS256).`
  return key
}

/** Why the certificate and its private key cannot sign in together; null when they belong together. */
export function certificateKeyProblem(certificatePem: string, keyPem: string): { field: string; message: string } | null {
  const key = readRsaKey(keyPem, PRIVATE_KEY_LABEL)
  if (typeof key === 'string') return { field: 'privateKey', message: key }
  const [block] = pemCertificates(certificatePem)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(block ?? '')
  } catch {
    return { field: 'oauthCertificatePem', message: `The ${FIELD_LABELS.oauthCertificatePem} could not be read: paste the PEM text exactly as exported, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.` }
  }
  if (!cert.checkPrivateKey(key)) {
    return { field: 'privateKey', message: `The ${PRIVATE_KEY_LABEL} does not belong to the ${FIELD_LABELS.oauthCertificatePem}: paste the key that was made with this certificate.` }
  }
  return null
}

/** A service account key whose private key reads as RSA, or what is wrong with it. */
export function readServiceAccountKey(text: string): ServiceAccountKey | string {
  const parsed = parseServiceAccountKey(text)
  if (typeof parsed === 'string') return parsed
  const key = readRsaKey(parsed.privateKey, `private key in the ${SERVICE_ACCOUNT_KEY_LABEL}`)
  return typeof key === 'string' ? key : parsed
}
