// How the Postfix backend reaches a server: every command it runs (postconf,
// postqueue, postsuper, postcat, postmap, postfix, and the few reads of the
// mail log) goes through a Runner, the same way for the Postfix on this
// computer and for one over SSH. A Runner runs one program with its
// arguments, never a shell line, so nothing an admin types is ever parsed by
// a shell on either side.

export interface RunOptions {
  /** Given to the program's standard input (postsuper -d - reads queue ids from it). */
  input?: string | Buffer
  /** The command is killed past this; the default is the runner's. */
  timeoutMs?: number
  /** Runs as root: directly when the runner is root, else through `sudo -n` (never a password prompt). */
  root?: boolean
}

export interface RunResult {
  /** The exit code; null when the program was killed (a timeout, a signal). */
  code: number | null
  stdout: Buffer
  stderr: string
}

/** Why a command could not be run at all: not a failure of the command, which comes back as a RunResult. */
export type RunnerFailure =
  /** The server could not be reached, or the connection dropped: never read as an empty answer. */
  | 'unreachable'
  /** The SSH sign-in was refused (key or agent). */
  | 'auth'
  /** The server's host key is not known yet: it must be shown with its fingerprint and accepted. */
  | 'host-key-unknown'
  /** The server's host key is not the one accepted before: refused. */
  | 'host-key-changed'
  /** The command ran past its time. */
  | 'timeout'
  /** The program does not exist there. */
  | 'not-found'
  /** `sudo -n` would have asked for a password. */
  | 'sudo'

export class RunnerError extends Error {
  readonly failure: RunnerFailure
  /** For host-key-unknown and host-key-changed: the key's SHA256 fingerprint as ssh prints it. */
  readonly fingerprint: string | undefined

  constructor(failure: RunnerFailure, message: string, fingerprint?: string) {
    super(message)
    this.name = 'RunnerError'
    this.failure = failure
    this.fingerprint = fingerprint
  }
}

export interface Runner {
  /** Where commands run, in the admin's words: "this computer" or "admin@mail1.example.net:22". */
  readonly where: string
  /** Runs `program` with `args` (no shell); rejects with RunnerError only when it could not run it. */
  run(program: string, args: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Ends any connection it holds. */
  close(): Promise<void>
}

export interface StreamOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

/** A Runner that can hand over a command's output as it arrives (postqueue -j of a large queue). */
export interface StreamingRunner extends Runner {
  /** Stopped through `signal`: resolves with a null code and the output handed over so far. */
  stream(program: string, args: readonly string[], onData: (chunk: Buffer) => void, options?: StreamOptions): Promise<Omit<RunResult, 'stdout'>>
}

/** A command's output as text, or a RunnerError-free Error naming the command and what it printed when it failed. */
export async function runText(runner: Runner, program: string, args: readonly string[], options?: RunOptions): Promise<string> {
  const r = await runner.run(program, args, options)
  if (r.code !== 0) {
    const said = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${String(r.code)}`
    throw new Error(`${[program, ...args].join(' ')} failed on ${runner.where}: ${said}`)
  }
  return r.stdout.toString('utf8')
}
