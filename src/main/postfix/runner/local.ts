import { spawn } from 'node:child_process'
import { RunnerError, type RunOptions, type RunResult, type Runner } from './runner.ts'

// The Postfix on this computer: each command is a child process, as root
// through `sudo -n` when the console does not run as root.

const DEFAULT_TIMEOUT_MS = 60_000
/** postqueue -j of 100,000 messages is some 40 MB: far under this. */
const MAX_OUTPUT = 512 * 1024 * 1024

export class LocalRunner implements Runner {
  readonly where = 'this computer'
  private readonly timeoutMs: number

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const asRoot = options.root === true && process.getuid?.() !== 0
    const [file, argv] = asRoot ? ['sudo', ['-n', '--', program, ...args]] : [program, [...args]]
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      let size = 0
      let stderr = ''
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_OUTPUT) child.kill('SIGKILL')
        else out.push(chunk)
      })
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk
      })
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        reject(err.code === 'ENOENT' ? new RunnerError('not-found', `${file} is not installed on ${this.where}.`) : err)
      })
      child.once('close', (code) => {
        clearTimeout(timer)
        if (timedOut) return reject(new RunnerError('timeout', `${program} did not finish within ${Math.round(timeoutMs / 1000)} s on ${this.where}.`))
        if (asRoot && code !== 0 && /a password is required|a terminal is required/.test(stderr)) {
          return reject(new RunnerError('sudo', `${program} must run as root, and sudo asks for a password on ${this.where}: allow it without one (NOPASSWD) for this account.`))
        }
        resolve({ code, stdout: Buffer.concat(out), stderr })
      })
      child.stdin.on('error', () => undefined)
      child.stdin.end(options.input ?? '')
    })
  }

  async close(): Promise<void> {}
}
