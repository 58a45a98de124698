import type { ApiEvents, ApiParsedRequest, ApiResponse, LogExportRequest, Result } from '../../shared/api.ts'
import { EVENT_NAMES, type EngineMethod } from '../../shared/methods.ts'
import type { SystemInfo } from '../../shared/systems.ts'
import type { LogCsvExport } from '../core/logs/log-export.ts'
import { openPostfixBackend, type PostfixBackend } from '../postfix/backend.ts'
import { openPostfixLogs } from '../postfix/logs/log-index.ts'
import { unreachableError } from '../postfix/queue/errors.ts'
import { LocalRunner } from '../postfix/runner/local.ts'
import { RunnerError, type Runner } from '../postfix/runner/runner.ts'
import { SshRunner } from '../postfix/runner/ssh.ts'
import { PostfixSettings } from '../postfix/settings/postfix-settings.ts'
import { PostfixTools } from '../postfix/tools.ts'
import type { OpenSystem, SystemEngine } from './hub.ts'

// A Postfix system as the hub opens it: its runner (this computer, or SSH)
// made at once, the backend (log index, queue snapshot, settings) opened on
// the first call that needs it. A server that cannot be reached then — or
// whose SSH host key is not accepted yet — answers each call with why, and
// the next call tries again after a pause that grows (2 s, doubling, at
// most a minute), so a lost connection is retried without hammering it.

const FIRST_RETRY_MS = 2000
const MAX_RETRY_MS = 60_000

export interface PostfixSystemOptions {
  /** An ssh config file instead of the admin's own (~/.ssh/config, /etc/ssh/ssh_config): /dev/null keeps a test to its own options. */
  sshConfigFile?: string | undefined
  /** The first pause before a system that could not be opened is tried again; it doubles, up to a minute. */
  firstRetryMs?: number | undefined
  /** Where its commands run; by default this computer or SSH, as the system says. */
  runner?: Runner | undefined
}

export function runnerFor(system: SystemInfo, dir: string, options: PostfixSystemOptions = {}): Runner {
  if (system.where === 'this computer') return new LocalRunner()
  return new SshRunner({ target: system.where, dataDir: dir, identityFile: system.identityFile, configFile: options.sshConfigFile })
}

export class PostfixSystem implements SystemEngine {
  readonly dataDir: string
  private readonly system: SystemInfo
  private readonly runner: Runner
  private readonly tools: PostfixTools
  private backend: Promise<PostfixBackend> | null = null
  private opened: PostfixBackend | null = null
  private failedAt = 0
  private readonly firstRetryMs: number
  private retryMs: number
  private lastFailure: unknown = null
  private readonly listeners = new Map<keyof ApiEvents, Set<(payload: never) => void>>()
  private closed = false

  constructor(system: SystemInfo, dir: string, options: PostfixSystemOptions = {}) {
    this.system = system
    this.dataDir = dir
    this.firstRetryMs = options.firstRetryMs ?? FIRST_RETRY_MS
    this.retryMs = this.firstRetryMs
    const runner = options.runner ?? runnerFor(system, dir, options)
    this.runner = runner
    this.tools = new PostfixTools({ runner, configDir: system.configDir })
  }

  /** The backend, opened once; after a failure, opened again only once the pause has passed. */
  private open(): Promise<PostfixBackend> {
    if (this.backend) return this.backend
    if (this.lastFailure && Date.now() - this.failedAt < this.retryMs) return Promise.reject(this.lastFailure)
    const opening = (async () => {
      const logs = await openPostfixLogs({ dataDir: this.dataDir, tools: this.tools })
      const settings = new PostfixSettings({ tools: this.tools, dataDir: this.dataDir })
      return openPostfixBackend({ dataDir: this.dataDir, tools: this.tools, logs, settings })
    })()
    this.backend = opening
    opening.then(
      (backend) => {
        this.opened = backend
        this.lastFailure = null
        this.retryMs = this.firstRetryMs
        for (const name of EVENT_NAMES) backend.on(name, (payload) => this.emit(name, payload))
      },
      (err: unknown) => {
        this.backend = null
        if (this.lastFailure) this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
        this.lastFailure = err
        this.failedAt = Date.now()
      },
    )
    return opening
  }

  async call<M extends EngineMethod>(method: M, request: ApiParsedRequest<M>): Promise<Result<ApiResponse<M>>> {
    if (this.closed) return { ok: false, error: { code: 'conflict', message: `${this.system.name} is closed.` } }
    let backend: PostfixBackend
    try {
      backend = await this.open()
    } catch (err) {
      const what = `The Postfix server on ${this.system.where}`
      if (err instanceof RunnerError) return { ok: false, error: unreachableError(err, what) }
      return { ok: false, error: { code: 'conflict', message: `${what} could not be opened: ${(err as Error).message}` } }
    }
    return backend.call(method, request)
  }

  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  private emit(event: keyof ApiEvents, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) (l as (p: unknown) => void)(payload)
  }

  exportCsv(request: LogExportRequest): LogCsvExport {
    if (!this.opened) throw new Error(`${this.system.name} has not been reached yet: open one of its pages first.`)
    return this.opened.exportCsv(request)
  }

  takeDownload(id: string): LogCsvExport | null {
    return this.opened?.takeDownload(id) ?? null
  }

  /** SSH: the fingerprint of the key the server offers when it is not accepted yet; null otherwise. */
  async unknownHostKey(): Promise<string | null> {
    if (!(this.runner instanceof SshRunner)) return null
    try {
      await this.runner.run('true', [])
      return null
    } catch (err) {
      if (err instanceof RunnerError && err.failure === 'host-key-unknown' && err.fingerprint) return err.fingerprint
      throw err
    }
  }

  async acceptHostKey(fingerprint: string): Promise<void> {
    if (!(this.runner instanceof SshRunner)) throw new Error(`${this.system.name} is not reached over SSH.`)
    await this.runner.acceptHostKey(fingerprint)
    // A failure to open before the key was accepted is not a reason to wait.
    this.lastFailure = null
    this.retryMs = this.firstRetryMs
  }

  async close(): Promise<void> {
    this.closed = true
    const backend = this.backend ? await this.backend.catch(() => null) : null
    if (backend) await backend.close()
    else await this.runner.close()
  }
}

/** The hub's opener for Postfix systems. */
export function openPostfixSystem(system: SystemInfo, dir: string): Promise<SystemEngine> {
  return Promise.resolve(new PostfixSystem(system, dir))
}

/** An opener whose systems share these options (an ssh config file, a shorter first retry). */
export function postfixOpener(options: Omit<PostfixSystemOptions, 'runner'>): OpenSystem {
  return (system, dir) => Promise.resolve(new PostfixSystem(system, dir, options))
}
