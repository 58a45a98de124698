import { spawn } from 'node:child_process'
import { appendFileSync, chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { RunnerError } from './runner.ts'

// The console's own known_hosts file (in its data directory, not the admin's
// ~/.ssh): a server's key gets in only when the admin accepts its
// fingerprint, and a changed key is never replaced without the admin
// removing the old one first. Keys are read with OpenSSH's own ssh-keyscan
// and fingerprinted with ssh-keygen, as an admin would by hand.

const SSH_KEYSCAN = '/usr/bin/ssh-keyscan'
const SSH_KEYGEN = '/usr/bin/ssh-keygen'

export interface ScannedKey {
  /** The known_hosts line: `[host]:port type base64` (`host type base64` on port 22). */
  line: string
  /** As ssh and ssh-keygen name it: ED25519, ECDSA, RSA. */
  type: string
  /** SHA256:…, as ssh-keygen -l prints it. */
  fingerprint: string
}

/** Where the server is and the name ssh looks its key up under (HostKeyAlias, else `[hostname]:port`). */
export interface HostKeyName {
  hostname: string
  port: number
  /** The name in known_hosts. */
  name: string
}

export function hostKeyName(hostname: string, port: number, alias?: string): HostKeyName {
  const name = alias ?? (port === 22 ? hostname : `[${hostname}]:${port}`)
  return { hostname, port, name }
}

function spawnText(file: string, args: string[], input: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(err.code === 'ENOENT' ? new RunnerError('not-found', `${file} is not installed on this computer (Debian package openssh-client).`) : err)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(input)
  })
}

/** The fingerprint and type of one known_hosts line, by ssh-keygen -lf -. */
async function fingerprintOf(line: string, timeoutMs: number): Promise<{ type: string; fingerprint: string } | null> {
  const r = await spawnText(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', '-'], `${line}\n`, timeoutMs)
  // "256 SHA256:EFWz…L63I [127.0.0.1]:47222 (ED25519)"
  const m = /^\d+ (SHA256:\S+) .*\((\S+)\)\s*$/m.exec(r.stdout)
  return m ? { fingerprint: m[1]!, type: m[2]! } : null
}

/** The keys the server offers now, by ssh-keyscan, under the name ssh will look them up by. */
export async function scanHostKeys(host: HostKeyName, timeoutMs: number): Promise<ScannedKey[]> {
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)))
  const r = await spawnText(SSH_KEYSCAN, ['-T', seconds, '-p', String(host.port), '--', host.hostname], '', timeoutMs + 2000)
  const keys: ScannedKey[] = []
  for (const raw of r.stdout.split('\n')) {
    const words = raw.trim().split(/\s+/)
    if (words.length < 3 || raw.startsWith('#')) continue
    const line = [host.name, words[1], words[2]].join(' ')
    const id = await fingerprintOf(line, timeoutMs)
    if (id) keys.push({ line, ...id })
  }
  return keys
}

/** The keys known_hosts holds for this server, as `type base64` (ssh-keygen -F also finds hashed entries). */
export async function knownKeys(file: string, host: HostKeyName, timeoutMs: number): Promise<string[]> {
  if (!existsSync(file)) return []
  const r = await spawnText(SSH_KEYGEN, ['-F', host.name, '-f', file], '', timeoutMs)
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '))
}

/**
 * Writes to known_hosts exactly the key the server offers with this
 * fingerprint, scanned again now: refused when it no longer offers it, or
 * when a different key of that type is already known (a changed key is
 * removed by the admin, on purpose, first).
 */
export async function acceptHostKey(file: string, host: HostKeyName, fingerprint: string, where: string, timeoutMs: number): Promise<ScannedKey> {
  const offered = await scanHostKeys(host, timeoutMs)
  if (offered.length === 0) throw new RunnerError('unreachable', `Could not read the SSH host key of ${where}: nothing was accepted.`)
  const key = offered.find((k) => k.fingerprint === fingerprint)
  if (!key) {
    throw new RunnerError(
      'host-key-changed',
      `${where} no longer offers the host key ${fingerprint} (it offers ${offered.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}): nothing was accepted. Check the fingerprint with the server's admin.`,
      offered[0]!.fingerprint,
    )
  }
  const [, type, blob] = key.line.split(' ')
  const known = await knownKeys(file, host, timeoutMs)
  if (known.includes(`${type} ${blob}`)) return key
  const sameType = await Promise.all(known.map(async (k) => (await fingerprintOf(`${host.name} ${k}`, timeoutMs))?.type))
  if (sameType.includes(key.type)) {
    throw new RunnerError(
      'host-key-changed',
      `A different ${key.type} host key of ${where} is already accepted: remove the old key first (after verifying the new one with the server's admin).`,
      key.fingerprint,
    )
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  appendFileSync(file, `${key.line}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return key
}

/** Removes every key known for this server (ssh-keygen -R), for when the admin has verified a changed key. */
export async function forgetHostKey(file: string, host: HostKeyName, timeoutMs: number): Promise<void> {
  if (!existsSync(file)) return
  const r = await spawnText(SSH_KEYGEN, ['-R', host.name, '-f', file], '', timeoutMs)
  if (r.code !== 0) throw new Error(`Could not remove the host key of ${host.name} from ${file}: ${r.stderr.trim()}`)
}
