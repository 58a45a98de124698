import { mkdirSync } from 'node:fs'
import type { ApiEvents, ApiParsedRequest, ApiResponse, LogExportRequest, Result } from '../../shared/api.ts'
import { EVENT_NAMES, isSystemsMethod, type ApiMethod, type EngineMethod, type SystemsMethod } from '../../shared/methods.ts'
import { LOCAL_SYSTEM, type HostKeyQuestion, type SystemInfo, type SystemSummary } from '../../shared/systems.ts'
import type { Engine } from '../core/engine/engine-types.ts'
import type { LogCsvExport } from '../core/logs/log-export.ts'
import { SystemsFile } from './systems-file.ts'

// Every system the console manages, behind one door: the adapters hand each
// call here with the system it is for; the systems.* methods are answered
// here, every other method by that system's engine (this computer's, or a
// Postfix backend opened the first time it is asked for).

/** A Postfix system as the hub needs it: an engine, and for SSH its host key's first use. */
export interface SystemEngine extends Engine {
  /** SSH: the fingerprint of a host key not accepted yet, or null when the key is known (or not SSH). */
  unknownHostKey?(): Promise<string | null>
  /** SSH: writes the server's key with this fingerprint to the known hosts; refuses when it no longer matches. */
  acceptHostKey?(fingerprint: string): Promise<void>
}

export type EveryEventListener = (system: string, event: keyof ApiEvents, payload: unknown) => void

export type OpenSystem = (system: SystemInfo, dir: string) => Promise<SystemEngine>

export interface SystemsHubOptions {
  dataDir: string
  /** This computer's engine, already open. */
  local: Engine
  /** Opens a Postfix system's backend; absent, Postfix systems cannot be added. */
  openPostfix?: OpenSystem
  /** How long the all-systems summary waits for one system. */
  summaryTimeoutMs?: number
}

const SUMMARY_TIMEOUT_MS = 5000

const fail = (code: 'not_found' | 'invalid_request' | 'conflict' | 'internal', message: string): Result<never> => ({ ok: false, error: { code, message } })

export class SystemsHub {
  private readonly file: SystemsFile
  private readonly local: Engine
  private readonly openPostfix: OpenSystem | undefined
  private readonly summaryTimeoutMs: number
  private readonly open = new Map<string, Promise<SystemEngine>>()
  private readonly everyEvent = new Set<EveryEventListener>()
  /** Per open system: what stops passing its events to everyEvent's listeners. */
  private readonly relays = new Map<string, () => void>()

  constructor(options: SystemsHubOptions) {
    this.file = new SystemsFile(options.dataDir)
    this.local = options.local
    this.openPostfix = options.openPostfix
    this.summaryTimeoutMs = options.summaryTimeoutMs ?? SUMMARY_TIMEOUT_MS
  }

  /** The engine of a system; this computer's when none is named. Rejects for a system not in the list. */
  engine(id: string = LOCAL_SYSTEM): Promise<SystemEngine> {
    if (id === LOCAL_SYSTEM) return Promise.resolve(this.local)
    const opened = this.open.get(id)
    if (opened) return opened
    const info = this.file.get(id)
    if (!info) return Promise.reject(new UnknownSystem(id))
    if (!this.openPostfix) return Promise.reject(new Error('This build of SMTP Console cannot open Postfix systems.'))
    const dir = this.file.dirOf(id)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const opening = this.openPostfix(info, dir)
    this.open.set(id, opening)
    opening.then(
      (engine) => {
        if (this.everyEvent.size > 0) this.relay(id, engine)
      },
      () => this.open.delete(id),
    )
    return opening
  }

  /**
   * Every event of every system, with the system it is from: this computer's from now on, each
   * Postfix system's from when it opens. The desktop app sends them all to its window, whose
   * preload keeps those of the system it shows.
   */
  onEveryEvent(listener: EveryEventListener): () => void {
    if (this.everyEvent.size === 0) {
      this.relay(LOCAL_SYSTEM, this.local)
      for (const [id, opened] of this.open) void opened.then((engine) => this.everyEvent.size > 0 && this.relay(id, engine), () => undefined)
    }
    this.everyEvent.add(listener)
    return () => {
      this.everyEvent.delete(listener)
      if (this.everyEvent.size > 0) return
      for (const off of this.relays.values()) off()
      this.relays.clear()
    }
  }

  private relay(id: string, engine: Engine): void {
    if (this.relays.has(id)) return
    const offs = EVENT_NAMES.map((name) =>
      engine.on(name, (payload) => {
        for (const l of this.everyEvent) l(id, name, payload)
      }),
    )
    this.relays.set(id, () => {
      for (const off of offs) off()
    })
  }

  async call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>, system?: string): Promise<Result<ApiResponse<M>>> {
    if (isSystemsMethod(method)) return (await this.systemsCall(method, request as ApiParsedRequest<SystemsMethod>)) as Result<ApiResponse<M>>
    let engine: SystemEngine
    try {
      engine = await this.engine(system)
    } catch (err) {
      if (err instanceof UnknownSystem) return fail('not_found', err.message)
      return fail('internal', `The system ${system ?? ''} could not be opened: ${(err as Error).message}`)
    }
    return engine.call(method, request as ApiParsedRequest<EngineMethod>) as Promise<Result<ApiResponse<M>>>
  }

  /** Listens to one system's events; the listener is attached once the system is open. */
  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void, system?: string): () => void {
    let off: (() => void) | null = null
    let cancelled = false
    this.engine(system).then(
      (engine) => {
        if (!cancelled) off = engine.on(event, listener)
      },
      () => undefined,
    )
    return () => {
      cancelled = true
      off?.()
    }
  }

  async exportCsv(request: LogExportRequest, system?: string): Promise<LogCsvExport> {
    return (await this.engine(system)).exportCsv(request)
  }

  /** A one-time download link's export, from whichever open system made it. */
  async takeDownload(id: string): Promise<LogCsvExport | null> {
    for (const engine of [Promise.resolve(this.local as SystemEngine), ...this.open.values()]) {
      const found = await engine.then((e) => e.takeDownload(id), () => null)
      if (found) return found
    }
    return null
  }

  async close(): Promise<void> {
    for (const off of this.relays.values()) off()
    this.relays.clear()
    const opened = [...this.open.values()]
    this.open.clear()
    await Promise.all(opened.map((p) => p.then((e) => e.close(), () => undefined)))
  }

  private async systemsCall(method: SystemsMethod, request: ApiParsedRequest<SystemsMethod>): Promise<Result<unknown>> {
    switch (method) {
      case 'systems.list':
        return { ok: true, data: { systems: this.file.list() } }
      case 'systems.add':
        return this.add(request as ApiParsedRequest<'systems.add'>)
      case 'systems.remove': {
        const { id } = request as ApiParsedRequest<'systems.remove'>
        try {
          const removed = this.file.remove(id)
          const opened = this.open.get(id)
          this.open.delete(id)
          this.relays.get(id)?.()
          this.relays.delete(id)
          await opened?.then((e) => e.close(), () => undefined)
          return removed ? { ok: true, data: { removed } } : fail('not_found', `There is no system ${id}.`)
        } catch (err) {
          return fail('conflict', (err as Error).message)
        }
      }
      case 'systems.summary':
        return { ok: true, data: { systems: await Promise.all(this.file.list().map((s) => this.summarize(s))) } }
      case 'systems.acceptHostKey': {
        const { id, fingerprint } = request as ApiParsedRequest<'systems.acceptHostKey'>
        const info = this.file.get(id)
        if (!info) return fail('not_found', `There is no system ${id}.`)
        const engine = await this.engine(id)
        if (!engine.acceptHostKey) return fail('conflict', `${info.name} is not reached over SSH: it has no host key to accept.`)
        try {
          await engine.acceptHostKey(fingerprint)
        } catch (err) {
          return fail('conflict', (err as Error).message)
        }
        return { ok: true, data: { system: info } }
      }
    }
  }

  private async add(spec: ApiParsedRequest<'systems.add'>): Promise<Result<ApiResponse<'systems.add'>>> {
    if (!this.openPostfix) return fail('conflict', 'This build of SMTP Console cannot manage Postfix servers.')
    let info: SystemInfo
    try {
      info = this.file.add(spec)
    } catch (err) {
      return { ok: false, error: { code: 'invalid_request', message: (err as Error).message, fields: { [/called/.test((err as Error).message) ? 'name' : 'ssh']: (err as Error).message } } }
    }
    let hostKey: HostKeyQuestion | null = null
    try {
      const engine = await this.engine(info.id)
      const fingerprint = (await engine.unknownHostKey?.()) ?? null
      if (fingerprint) hostKey = { systemId: info.id, where: info.where, fingerprint }
    } catch (err) {
      // Kept in the list: the summary and the system's pages say what is wrong until it is fixed or removed.
      console.error(`${info.name} was added but could not be opened:`, err)
    }
    return { ok: true, data: { system: info, hostKey } }
  }

  private async summarize(system: SystemInfo): Promise<SystemSummary> {
    const start = performance.now()
    const ms = () => Math.round(performance.now() - start)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<Result<never>>((resolve) => {
      timer = setTimeout(() => resolve(fail('internal', `${system.where} did not answer within ${this.summaryTimeoutMs / 1000} s.`)), this.summaryTimeoutMs)
    })
    const status = await Promise.race([this.call('status.get', undefined, system.id), timeout]).finally(() => clearTimeout(timer))
    if (!status.ok) return { system, counts: null, lastDeliveryAt: null, health: 'unreachable', problem: status.error.message, ms: ms() }
    const s = status.data
    const problem = s.settingsProblem?.message ?? s.storageProblem ?? (s.health.state === 'failing' ? s.health.brief : null)
    return { system, counts: s.counts, lastDeliveryAt: s.lastDeliveryAt, health: s.health.state, problem, ms: ms() }
  }
}

class UnknownSystem extends Error {
  constructor(id: string) {
    super(`There is no system ${id}: it may have been removed. Pick one from the list.`)
  }
}
