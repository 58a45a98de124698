import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postfix.ts'

// A real OpenSSH server for the SSH runner's tests: Debian's sshd on a free
// loopback port with its own host key, configuration, pid file and
// authorized key in a temporary directory; key authentication only.

export const SSHD = '/usr/sbin/sshd'
const SSH_KEYGEN = '/usr/bin/ssh-keygen'

/** Why a test sshd cannot be started here, or null when it can. */
export function sshdUnusable(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian package openssh-server)`
  for (const tool of ['/usr/bin/ssh', SSH_KEYGEN, '/usr/bin/ssh-keyscan']) if (!existsSync(tool)) return `${tool} is not installed (Debian package openssh-client)`
  // sshd must be root to switch to the signed-in account.
  if (process.getuid?.() !== 0) return 'sshd must run as root to sign an account in'
  return null
}

function keygen(file: string): void {
  const r = spawnSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'smtp-console-test', '-f', file], { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
}

/** The SHA256 fingerprint of a public key file, as ssh-keygen -l prints it. */
export function fingerprint(publicKeyFile: string): string {
  const r = spawnSync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', publicKeyFile], { encoding: 'utf8', timeout: 10_000 })
  const m = /(SHA256:\S+)/.exec(r.stdout)
  if (!m) throw new Error(`ssh-keygen -l ${publicKeyFile}: ${r.stdout}${r.stderr}`)
  return m[1]!
}

async function listening(port: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

/** The processes below `pid` (its children, theirs, …) with their command lines, from /proc. */
export function descendants(pid: number): { pid: number; args: string }[] {
  const parents = new Map<number, { pid: number; args: string }[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    let args = ''
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
    } catch {
      // gone already
    }
    parents.set(ppid, [...(parents.get(ppid) ?? []), { pid: Number(name), args }])
  }
  const found: { pid: number; args: string }[] = []
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      found.push(c)
      walk(c.pid)
    }
  }
  walk(pid)
  return found
}

export interface Sshd {
  port: number
  /** `root@127.0.0.1:PORT`. */
  target: string
  /** The authorized private key. */
  clientKey: string
  /** A key the server does not know. */
  wrongKey: string
  /** The server's host key's fingerprint now. */
  hostKeyFingerprint(): string
  /** Restarts sshd on the same port (or starts it again after halt), with a newly generated host key when asked. */
  restart(options?: { newHostKey?: boolean }): Promise<void>
  /** Stops sshd and its sessions, keeping its keys and port for restart(). */
  halt(): Promise<void>
  /** Kills every session the server holds (SIGKILL), as a dropped connection; the listener stays. */
  killSessions(): number
  /** The processes the server's sessions run, with their command lines. */
  sessionProcesses(): { pid: number; args: string }[]
  stop(): Promise<void>
}

export async function startSshd(): Promise<Sshd> {
  // Debian's sshd refuses to start without its privilege separation directory, which its service unit creates.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-sshd-'))
  const hostKey = join(dir, 'host_ed25519')
  const clientKey = join(dir, 'client')
  const wrongKey = join(dir, 'wrong')
  for (const k of [hostKey, clientKey, wrongKey]) keygen(k)
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`))
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The authorized key is under /tmp, which StrictModes refuses (world-writable).
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowUsers root',
      'ClientAliveInterval 0',
      // Commands run as they would from a plain account: bash reads ~/.bashrc for an ssh command only at
      // shell level 1, and this machine's root one runs setup (pyenv rehash, with a lock a killed session leaves behind).
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  )
  let child: ChildProcess | undefined
  let log = ''
  const begin = async () => {
    log = ''
    const c = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
    c.stderr?.setEncoding('utf8').on('data', (s: string) => {
      if (log.length < 64 * 1024) log += s
    })
    child = c
    if (!(await listening(port, 10_000))) {
      await end()
      throw new Error(`sshd -f ${config} did not listen on 127.0.0.1:${port}: ${log}`)
    }
  }
  const killSessions = () => {
    if (!child?.pid) return 0
    const sessions = descendants(child.pid)
    for (const p of sessions) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    return sessions.length
  }
  const end = async () => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    killSessions()
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  await begin()
  return {
    port,
    target: `root@127.0.0.1:${port}`,
    clientKey,
    wrongKey,
    hostKeyFingerprint: () => fingerprint(`${hostKey}.pub`),
    restart: async (options = {}) => {
      await end()
      if (options.newHostKey) {
        rmSync(hostKey, { force: true })
        rmSync(`${hostKey}.pub`, { force: true })
        keygen(hostKey)
      }
      await begin()
    },
    halt: end,
    killSessions,
    sessionProcesses: () => (child?.pid ? descendants(child.pid) : []),
    stop: async () => {
      await end()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
