import { X509Certificate } from 'node:crypto'
import { pemCertificates } from '../../../shared/settings.ts'

// The CA certificate is read when it is saved, so a damaged paste is refused
// under its field instead of surfacing later as a "self-signed" failure.

/** Why the CA certificate cannot be used, in the admin's words; null when every block is a certificate. */
export function caCertificateProblem(pem: string): string | null {
  if (pem.trim() === '') return null
  const blocks = pemCertificates(pem)
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block)
    } catch {
      return `The CA certificate could not be read: certificate ${i + 1} of ${blocks.length} is damaged or incomplete. Paste the PEM text exactly as exported, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`
    }
  }
  return null
}
