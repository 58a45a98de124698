import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as knownHosts from './known-hosts.ts'
import { remoteCommandLine, takeStatus } from './quote.ts'
import { RunnerError, type RunOptions, type RunResult, type StreamingRunner, type StreamOptions } from './runner.ts'

// A Postfix server over SSH, through the system's OpenSSH client
// (/usr/bin/ssh) rather than an npm SSH library: the admin's own ssh config
// (Host blocks, ProxyJump), agent and keys work as they do in a terminal,
// ControlMaster gives one connection for many commands, and no crypto of
// ours stands between the console and the server.
//
// Host keys are checked against the console's own known_hosts in its data
// directory (strict: a new key must be accepted by its fingerprint, a changed
// one is refused); no prompt is ever shown (BatchMode).

const SSH = '/usr/bin/ssh'
const DEFAULT_TIMEOUT_MS = 60_000
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** The shared connection outlives its last command by this much, then closes. */
const CONTROL_PERSIST_S = 60
const MAX_OUTPUT = 512 * 1024 * 1024
/** Commands at once over the shared connection: sshd's MaxSessions is 10 by default, and past it ssh opens a new connection per command. */
const MAX_SESSIONS = 8
/** Kept of standard error: its end, where ssh's and our status line are. */
const STDERR_TAIL = 64 * 1024
/** A Unix socket path is at most 104 bytes on macOS (108 on Linux); ssh adds 17 while it sets one up. */
const MAX_CONTROL_PATH = 104 - 18

export interface SshTarget {
  user: string | undefined
  host: string
  port: number | undefined
}

/** `user@host[:port]` (an IPv6 address in brackets: `user@[2001:db8::1]:22`); the user may come from the ssh config. */
export function parseSshTarget(target: string): SshTarget {
  const m = /^(?:([^@\s:/\\]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(target.trim())
  const port = m?.[3] === undefined ? undefined : Number(m[3])
  if (!m || m[1]?.startsWith('-') || m[2]!.startsWith('-') || (port !== undefined && (port < 1 || port > 65535))) {
    throw new Error(`"${target}" is not a server to reach over SSH: give it as user@host or user@host:port, e.g. admin@mail1.example.net:22.`)
  }
  return { user: m[1], host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port }
}

export interface SshRunnerOptions {
  /** `user@host[:port]`. */
  target: string
  /** The console's data directory: its known_hosts and the shared connection's socket live under ssh/ there. */
  dataDir: string
  /** A private key to sign in with (only it is offered); absent: the admin's agent and ssh config. */
  identityFile?: string | undefined
  /** An ssh config file instead of the admin's (~/.ssh/config and /etc/ssh/ssh_config). */
  configFile?: string | undefined
  /** A command is killed past this. */
  timeoutMs?: number | undefined
  /** Reaching the server and its greeting, past which it is unreachable. */
  connectTimeoutMs?: number | undefined
  /** Whether `root: true` commands go through `sudo -n`; default: when the account is not root. */
  sudo?: boolean | undefined
}

interface Effective {
  user: string
  host: knownHosts.HostKeyName
}

export class SshRunner implements StreamingRunner {
  readonly where: string
  /** The console's own known_hosts file. */
  readonly knownHostsFile: string
  private readonly target: SshTarget
  private readonly options: SshRunnerOptions
  private readonly timeoutMs: number
  private readonly connectTimeoutMs: number
  private readonly controlPath: string
  /** A directory of our own for the socket when the data directory's path is too long for one. */
  private readonly socketDir: string | undefined
  private effective: Promise<Effective> | undefined
  private sessions = 0
  private readonly waiting: (() => void)[] = []

  constructor(options: SshRunnerOptions) {
    this.target = parseSshTarget(options.target)
    this.options = options
    this.where = options.target.trim()
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    const dir = join(options.dataDir, 'ssh')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.knownHostsFile = join(dir, 'known_hosts')
    const id = createHash('sha256')
      .update(`${this.where}\0${options.identityFile ?? ''}\0${options.configFile ?? ''}`)
      .digest('hex')
      .slice(0, 16)
    let controlPath = join(dir, `cm-${id}`)
    if (controlPath.length > MAX_CONTROL_PATH) {
      this.socketDir = mkdtempSync(join(tmpdir(), 'smtp-console-ssh-'))
      controlPath = join(this.socketDir, id)
    }
    this.controlPath = controlPath
  }

  /** The options every ssh call shares; command-line -o options win over any ssh config file. */
  private sshOptions(): string[] {
    const o = (option: string) => ['-o', option]
    return [
      ...(this.options.configFile ? ['-F', this.options.configFile] : []),
      ...o('BatchMode=yes'),
      ...o('ControlMaster=auto'),
      ...o(`ControlPath=${this.controlPath}`),
      ...o(`ControlPersist=${CONTROL_PERSIST_S}`),
      ...o(`UserKnownHostsFile=${this.knownHostsFile}`),
      ...o('GlobalKnownHostsFile=/dev/null'),
      ...o('StrictHostKeyChecking=yes'),
      // Nothing but acceptHostKey writes the console's known_hosts.
      ...o('UpdateHostKeys=no'),
      ...o('CheckHostIP=no'),
      ...o(`ConnectTimeout=${Math.max(1, Math.ceil(this.connectTimeoutMs / 1000))}`),
      // A dead connection is noticed in some 45 s even when no command is writing.
      ...o('ServerAliveInterval=15'),
      ...o('ServerAliveCountMax=3'),
      ...o('LogLevel=ERROR'),
      ...(this.options.identityFile ? [...o(`IdentityFile=${this.options.identityFile}`), ...o('IdentitiesOnly=yes')] : []),
      ...(this.target.port !== undefined ? ['-p', String(this.target.port)] : []),
    ]
  }

  private destination(): string {
    return this.target.user ? `${this.target.user}@${this.target.host}` : this.target.host
  }

  /** The account, host and port ssh will use once the admin's ssh config is applied (ssh -G). */
  private resolve(): Promise<Effective> {
    this.effective ??= (async () => {
      const r = await this.spawnSsh(['-G', ...this.sshOptions(), '--', this.destination()], undefined, this.connectTimeoutMs)
      const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(r.stdout.toString('utf8'))?.[1]
      const alias = value('hostkeyalias')
      return {
        user: value('user') ?? this.target.user ?? '',
        host: knownHosts.hostKeyName(value('hostname') ?? this.target.host, Number(value('port') ?? this.target.port ?? 22), alias),
      }
    })().catch((err: unknown) => {
      this.effective = undefined
      throw err
    })
    return this.effective
  }

  async run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.inSession(() => this.runOne(program, args, options))
  }

  /**
   * Runs `program` as run() does, its standard output handed to onData as it
   * arrives (the Mail Queue's first page from the start of postqueue -j);
   * rejects like run() when the connection drops before the command's exit
   * status came back, whatever was handed over by then.
   */
  stream(program: string, args: readonly string[], onData: (chunk: Buffer) => void, options: StreamOptions = {}): Promise<Omit<RunResult, 'stdout'>> {
    return this.inSession(async () => {
      const { code, stderr } = await this.runOne(program, args, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }, onData, options.signal)
      return { code, stderr }
    })
  }

  /** A finished command hands its slot straight to the next one waiting. */
  private async inSession<T>(work: () => Promise<T>): Promise<T> {
    if (this.sessions < MAX_SESSIONS) this.sessions++
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.sessions--
    }
  }

  private async runOne(program: string, args: readonly string[], options: RunOptions, onData?: (chunk: Buffer) => void, signal?: AbortSignal): Promise<RunResult> {
    const effective = await this.resolve()
    if (this.socketDir) mkdirSync(this.socketDir, { recursive: true, mode: 0o700 })
    const sudo = options.root === true && (this.options.sudo ?? effective.user !== 'root')
    const statusMark = `smtp-console-status-${randomBytes(8).toString('hex')}=`
    const line = remoteCommandLine(program, args, { sudo, statusMark })
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    const r = await this.spawnSsh(['-T', ...this.sshOptions(), '--', this.destination(), line], options.input, timeoutMs, onData, signal)
    // Stopped by the caller, who no longer wants its output: no status is owed.
    if (r.aborted) return { code: null, stdout: Buffer.alloc(0), stderr: takeStatus(r.stderr, statusMark).stderr }
    if (r.timedOut) throw new RunnerError('timeout', `${program} did not finish within ${Math.round(timeoutMs / 1000)} s on ${this.where}.`)
    const { status, stderr } = takeStatus(r.stderr, statusMark)
    if (status === null) throw await this.sshFailure(program, r.code, r.stderr)
    if (sudo && status !== 0 && /^sudo: (a password is required|a terminal is required)/m.test(stderr)) {
      throw new RunnerError('sudo', `${program} must run as root, and sudo asks for a password on ${this.where}: allow it without one (NOPASSWD) for ${effective.user}.`)
    }
    if ((status === 127 && /not found|No such file or directory/.test(stderr)) || (sudo && /^sudo: .*command not found/m.test(stderr))) {
      const missing = sudo && /\bsudo: (command )?not found/.test(stderr) ? 'sudo' : program
      throw new RunnerError('not-found', `${missing} is not installed on ${this.where}.`)
    }
    return { code: status, stdout: r.stdout, stderr }
  }

  /** What went wrong when the command's exit status never came back: ssh's own failure (exit 255) or a dropped connection. */
  private async sshFailure(program: string, code: number | null, stderr: string): Promise<RunnerError> {
    const changed = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.exec(stderr)
    if (changed) {
      const fingerprint = /(SHA256:[A-Za-z0-9+/=]+?)\.?\s*$/m.exec(stderr.slice(stderr.indexOf('sent by the remote host')))?.[1]
      const { host } = await this.resolve()
      return new RunnerError(
        'host-key-changed',
        `The SSH host key of ${this.where} has changed since it was accepted${fingerprint ? ` (it now offers ${fingerprint})` : ''}, and the connection was refused: ` +
          `someone may be intercepting it, or the server was reinstalled. Verify the new key with the server's admin, then remove the old key ` +
          `(ssh-keygen -R '${host.name}' -f '${this.knownHostsFile}') and accept the new one.`,
        fingerprint,
      )
    }
    const unknown = /No (\S+) host key is known for/.exec(stderr)
    if (unknown || /Host key verification failed/.test(stderr)) {
      const { host } = await this.resolve()
      const offered = await knownHosts.scanHostKeys(host, this.connectTimeoutMs).catch(() => [])
      const key = offered.find((k) => k.type === unknown?.[1]) ?? offered[0]
      return new RunnerError(
        'host-key-unknown',
        key
          ? `${this.where} is not a known server yet: its ${key.type} host key has the fingerprint ${key.fingerprint}. Accept it once you have checked it with the server's admin (ssh-keygen -lf on the server's /etc/ssh/ssh_host_${key.type.toLowerCase()}_key.pub).`
          : `${this.where} is not a known server yet, and its host key could not be read to show its fingerprint.`,
        key?.fingerprint,
      )
    }
    if (/Permission denied \(|Too many authentication failures/.test(stderr)) {
      return new RunnerError('auth', `${this.where} refused the SSH sign-in: ${this.lastLine(stderr)}. Check the key (or the agent) and that its public key is in the account's authorized_keys.`)
    }
    const said = this.lastLine(stderr) || `ssh ended with ${code === null ? 'a signal' : `exit code ${code}`}`
    if (/connect to host|Could not resolve hostname|during banner exchange|Connection timed out|No route to host|Network is unreachable|Connection refused/.test(stderr)) {
      return new RunnerError('unreachable', `Could not reach ${this.where}: ${said}.`)
    }
    return new RunnerError('unreachable', `Lost the connection to ${this.where} before ${program} finished (${said}): what it printed was not used.`)
  }

  private lastLine(stderr: string): string {
    return (
      stderr
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1) ?? ''
    ).replace(/\.$/, '')
  }

  /** Runs ssh; its standard output collected, or handed to onData as it comes when given. */
  private spawnSsh(
    argv: string[],
    input: string | Buffer | undefined,
    timeoutMs: number,
    onData?: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<{ code: number | null; stdout: Buffer; stderr: string; timedOut: boolean; aborted: boolean }> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return resolve({ code: null, stdout: Buffer.alloc(0), stderr: '', timedOut: false, aborted: true })
      const child = spawn(SSH, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      let size = 0
      let stderr = ''
      let timedOut = false
      let aborted = false
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      const abort = () => {
        aborted = true
        child.kill('SIGKILL')
      }
      signal?.addEventListener('abort', abort, { once: true })
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
      }
      child.stdout.on('data', (chunk: Buffer) => {
        if (onData) {
          if (!aborted) onData(chunk)
          return
        }
        size += chunk.length
        if (size > MAX_OUTPUT) child.kill('SIGKILL')
        else out.push(chunk)
      })
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk
        if (stderr.length > 2 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL)
      })
      child.once('error', (err: NodeJS.ErrnoException) => {
        done()
        reject(err.code === 'ENOENT' ? new RunnerError('not-found', `${SSH} is not installed on this computer (Debian package openssh-client).`) : err)
      })
      child.once('close', (code) => {
        done()
        resolve({ code, stdout: Buffer.concat(out), stderr, timedOut, aborted })
      })
      // A client of the shared connection hands its standard streams to the
      // master, which holds them until the remote command ends: past the time
      // (or once the caller stopped it) we stop listening to them rather than
      // wait for 'close'. The remote command itself runs on, as after a
      // terminal is closed, until it next writes.
      child.once('exit', () => {
        if (!timedOut && !aborted) return
        done()
        child.stdout.destroy()
        child.stderr.destroy()
        resolve({ code: null, stdout: Buffer.alloc(0), stderr, timedOut, aborted })
      })
      child.stdin.on('error', () => undefined)
      child.stdin.end(input ?? '')
    })
  }

  /** The fingerprint the server offers now, for a host-key-unknown error shown again later. */
  async offeredHostKeys(): Promise<knownHosts.ScannedKey[]> {
    const { host } = await this.resolve()
    return knownHosts.scanHostKeys(host, this.connectTimeoutMs)
  }

  /** Writes the server's key with this fingerprint to the console's known_hosts, after scanning it again (refused if it no longer matches). */
  async acceptHostKey(fingerprint: string): Promise<void> {
    const { host } = await this.resolve()
    await knownHosts.acceptHostKey(this.knownHostsFile, host, fingerprint, this.where, this.connectTimeoutMs)
  }

  /** Removes the server's accepted keys, once the admin has verified a changed key with the server's admin. */
  async forgetHostKey(): Promise<void> {
    const { host } = await this.resolve()
    await this.close()
    await knownHosts.forgetHostKey(this.knownHostsFile, host, this.connectTimeoutMs)
  }

  /** Ends the shared connection (ssh -O exit); the next command opens a new one. */
  async close(): Promise<void> {
    await this.spawnSsh([...this.sshOptions(), '-O', 'exit', '--', this.destination()], undefined, this.connectTimeoutMs).catch(() => undefined)
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true })
  }
}
