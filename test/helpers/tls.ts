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

export interface TestCa extends TestCert {
  dir: string
}

/** A private certificate authority, made fresh, to issue server certificates with chosen names and dates. */
export function makeCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-ca-'))
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '1000\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = Test Private CA',
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = none',
      '[any]',
      'commonName = supplied',
    ].join('\n'),
  )
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  execFileSync('openssl', ['req', '-x509', ...ec, '-days', '3650', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-config', join(dir, 'ca.cnf'), '-extensions', 'v3_ca'], { stdio: 'ignore' })
  return { dir, key: readFileSync(join(dir, 'ca.key'), 'utf8'), cert: readFileSync(join(dir, 'ca.pem'), 'utf8') }
}

const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'

/** A server certificate from `ca` for `names` (DNS names and IP addresses), valid between the two dates. */
export function issueCert(ca: TestCa, opts: { names: string[]; notBefore: Date; notAfter: Date }): TestCert {
  const dir = mkdtempSync(join(ca.dir, 'leaf-'))
  const san = opts.names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(', ')
  writeFileSync(join(dir, 'ext.cnf'), ['[leaf]', 'basicConstraints = CA:FALSE', 'keyUsage = digitalSignature', 'extendedKeyUsage = serverAuth', `subjectAltName = ${san}`].join('\n'))
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'csr.pem'), '-subj', `/CN=${opts.names[0]}`], { stdio: 'ignore' })
  execFileSync(
    'openssl',
    ['ca', '-batch', '-notext', '-config', join(ca.dir, 'ca.cnf'), '-keyfile', join(ca.dir, 'ca.key'), '-cert', join(ca.dir, 'ca.pem'), '-in', join(dir, 'csr.pem'), '-out', join(dir, 'cert.pem'),
      '-startdate', stamp(opts.notBefore), '-enddate', stamp(opts.notAfter), '-extfile', join(dir, 'ext.cnf'), '-extensions', 'leaf'],
    { stdio: 'ignore' },
  )
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
}
