import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A self-signed certificate for localhost and 127.0.0.1, made fresh with the
// openssl command line, so TLS tests use a real key and a real chain check.

export interface TestCert {
  key: string
  cert: string
}

let cached: TestCert | null = null

export function selfSignedCert(): TestCert {
  if (cached) return cached
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-cert-'))
  const conf = join(dir, 'openssl.cnf')
  writeFileSync(
    conf,
    [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = v3',
      'prompt = no',
      '[dn]',
      'CN = localhost',
      '[v3]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = digitalSignature, keyEncipherment, keyCertSign',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ].join('\n'),
  )
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-config', conf], { stdio: 'ignore' })
  cached = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
  return cached
}
