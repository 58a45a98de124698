import { addressDomain } from '../../../shared/dkim.ts'
import type { SettingsFields } from '../../../shared/settings.ts'
import type { ListenerStatus } from '../../../shared/types.ts'
import type { NewMessage } from '../queue/queue.ts'
import type { GroupCommit } from './group-commit.ts'
import { Listener, type ListenerLimits, type ListenerState } from './listener.ts'
import { headerBlock, headerValue } from './received-header.ts'
import { ListenerThread } from './thread-client.ts'
import type { Refusal } from './thread-protocol.ts'

// Local submission, the engine's side: where the listener runs, what it
// hands over, and what the dashboard shows. The SMTP sessions run on a
// thread of their own (listener-thread.ts) when its module is there to load
// (in the engine's thread otherwise, said in the event log); every message
// comes back here to be signed and queued by the group commit, so the queue
// keeps one writer and every 250 the same promise.

export interface ListenerHostParts {
  dataDir: string
  settings(): SettingsFields
  password(): Promise<string | null>
  commit: GroupCommit
  /** Messages taken from clients today, from the mail log (at start and at midnight). */
  countSince(at: number): number
  /** Whether an error is a full disk (452 4.3.1) or another trouble of the disk (451). */
  storageTrouble(err: unknown): 'full' | 'other' | null
  logEvent(level: 'info' | 'warning' | 'error', message: string, details?: Record<string, unknown>): void
  /** The state changed (listening, failed, stopped): the dashboard reads it again. */
  changed(): void
  now(): number
  limits?: Partial<ListenerLimits>
  /**
   * Signs a message with the DKIM key when Sign with DKIM is on and its From domain is the signing
   * domain or under it, as the API's messages are; the message as given otherwise. Throws when a key
   * cannot sign: then nothing is queued.
   */
  sign?(raw: Buffer, fromDomain: string | null): Promise<Buffer>
  /** The thread's module (listener-thread.ts, or the built listener-thread.js); null: the sessions run in the engine's thread. */
  thread: URL | null
}

/** The thread's module next to this one when the engine runs from its sources (tests, the benchmark, the web console); null in a build, whose shell says where its own is. */
export function sourceThreadEntry(): URL | null {
  return import.meta.url.endsWith('.ts') ? new URL('./listener-thread.ts', import.meta.url) : null
}

/** Midnight of the local day holding `at`. */
function dayStart(at: number): number {
  const d = new Date(at)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

export class ListenerHost {
  private readonly parts: ListenerHostParts
  private state: ListenerState = { state: 'off' }
  private today = { start: 0, count: 0 }
  /** Where the sessions run: the thread, or (without one) a listener in this thread; made at the first apply. */
  private thread: ListenerThread | null = null
  private local: Listener | null = null
  private threadEntry: URL | null
  private applying: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(parts: ListenerHostParts) {
    this.parts = parts
    this.threadEntry = parts.thread
  }

  /** Where the sessions run now, for the tests and the benchmark. */
  get runsIn(): 'thread' | 'engine' | 'nowhere' {
    return this.thread ? 'thread' : this.local ? 'engine' : 'nowhere'
  }

  status(): ListenerStatus {
    if (this.state.state !== 'listening') return this.state
    return { ...this.state, receivedToday: this.receivedToday() }
  }

  /** Starts, restarts or stops the listener as the settings say; one change at a time (one that failed does not stop the next). */
  apply(): Promise<void> {
    this.applying = this.applying.catch(() => undefined).then(() => this.applyNow())
    return this.applying
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.applying.catch(() => undefined)
    const thread = this.thread
    const local = this.local
    this.thread = null
    this.local = null
    await thread?.stop()
    await local?.stop()
    await this.parts.commit.drained()
    this.state = { state: 'off' }
  }

  /** A message a client gave: signed where the settings say, queued, durable when this resolves. */
  async accept(message: NewMessage): Promise<string> {
    return this.parts.commit.add(await this.signed(message))
  }

  /**
   * The group commit wrote `count` messages, their `received` rows with them: counted now, in
   * the turn of that transaction, so the count read from the mail log never holds them twice.
   */
  committed(count: number): void {
    if (dayStart(this.parts.now()) === this.today.start) this.today.count += count
  }

  private async applyNow(): Promise<void> {
    if (this.stopped) return
    const settings = this.parts.settings()
    if (!this.thread && !this.local) {
      // Nothing to start for a listener that is off.
      if (!settings.listenEnabled) return this.changed({ state: 'off' })
      await this.begin()
    }
    if (this.thread) await this.thread.apply(settings)
    else await this.local!.apply()
    // Turned off: the thread (its heap, its event loop) goes too; turned on again, a new one starts.
    if (!settings.listenEnabled && this.thread) {
      const thread = this.thread
      this.thread = null
      await thread.stop()
    }
  }

  private async begin(): Promise<void> {
    if (this.threadEntry) {
      try {
        this.thread = await ListenerThread.start(this.threadEntry, { dataDir: this.parts.dataDir, ...(this.parts.limits ? { limits: this.parts.limits } : {}) }, {
          accept: (message) => this.accept(message),
          password: () => this.parts.password(),
          refusal: (err) => this.refusal(err),
          changed: (state) => this.changed(state),
          logEvent: (level, message, details) => this.parts.logEvent(level, message, details),
          died: (reason) => this.threadDied(reason),
        })
        return
      } catch (err) {
        this.threadEntry = null
        this.parts.logEvent('warning', `Local submission runs in the engine's own thread: its thread could not start (${(err as Error).message}).`)
      }
    }
    this.local = new Listener({
      dataDir: this.parts.dataDir,
      settings: () => this.parts.settings(),
      password: () => this.parts.password(),
      accept: (message) => this.accept(message),
      storageTrouble: (err) => this.parts.storageTrouble(err),
      logEvent: (level, message, details) => this.parts.logEvent(level, message, details),
      changed: (state) => this.changed(state),
      now: this.parts.now,
      ...(this.parts.limits ? { limits: this.parts.limits } : {}),
    })
  }

  /** The thread ended by itself: its sessions are gone; the listener starts again in the engine's thread. */
  private threadDied(reason: string): void {
    this.thread = null
    this.threadEntry = null
    this.changed({ state: 'off' })
    if (this.stopped) return
    this.parts.logEvent('error', `Local submission's thread stopped (${reason}); clients in a session then were cut off and send again. It listens again in the engine's own thread.`)
    void this.apply()
  }

  private changed(state: ListenerState): void {
    // Listening again (a new port, a restart): today's count is read again from the mail log.
    if (state.state === 'listening') this.today.start = 0
    this.state = state
    this.parts.changed()
  }

  private receivedToday(): number {
    const start = dayStart(this.parts.now())
    if (start !== this.today.start) this.today = { start, count: this.parts.countSince(start) }
    return this.today.count
  }

  private refusal(err: unknown): Refusal {
    return { message: (err as Error)?.message ?? String(err), trouble: this.parts.storageTrouble(err) }
  }

  /** The message with its DKIM-Signature on top, where the settings sign its From domain. */
  private async signed(message: NewMessage): Promise<NewMessage> {
    if (!this.parts.sign) return message
    const from = headerValue(headerBlock(message.raw), 'from')
    const address = from ? (/<([^>]*)>\s*$/.exec(from)?.[1] ?? from) : null
    const raw = await this.parts.sign(message.raw, address ? addressDomain(address) : null)
    return raw === message.raw ? message : { ...message, raw }
  }
}
