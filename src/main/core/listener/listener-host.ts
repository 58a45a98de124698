import { addressDomain } from '../../../shared/dkim.ts'
import type { SettingsFields } from '../../../shared/settings.ts'
import type { ListenerStatus } from '../../../shared/types.ts'
import type { NewMessage } from '../queue/queue.ts'
import type { GroupCommit } from './group-commit.ts'
import { Listener, type ListenerLimits, type ListenerState } from './listener.ts'
import { headerBlock, headerValue } from './received-header.ts'

// Local submission, the engine's side: what the listener hands over and
// what the dashboard shows. Every message the SMTP sessions take comes here
// to be signed and queued by the group commit.

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
  private readonly local: Listener

  constructor(parts: ListenerHostParts) {
    this.parts = parts
    this.local = new Listener({
      dataDir: parts.dataDir,
      settings: () => parts.settings(),
      password: () => parts.password(),
      accept: (message) => this.accept(message),
      storageTrouble: (err) => parts.storageTrouble(err),
      logEvent: (level, message, details) => parts.logEvent(level, message, details),
      changed: (state) => this.changed(state),
      now: parts.now,
      ...(parts.limits ? { limits: parts.limits } : {}),
    })
  }

  status(): ListenerStatus {
    if (this.state.state !== 'listening') return this.state
    return { ...this.state, receivedToday: this.receivedToday() }
  }

  /** Starts, restarts or stops the listener as the settings say; one change at a time. */
  apply(): Promise<void> {
    return this.local.apply()
  }

  async stop(): Promise<void> {
    await this.local.stop()
    await this.parts.commit.drained()
    this.state = { state: 'off' }
  }

  /** A message a client gave: signed where the settings say, queued, durable when this resolves. */
  async accept(message: NewMessage): Promise<string> {
    const queueId = await this.parts.commit.add(await this.signed(message))
    if (dayStart(this.parts.now()) === this.today.start) this.today.count++
    return queueId
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

  /** The message with its DKIM-Signature on top, where the settings sign its From domain. */
  private async signed(message: NewMessage): Promise<NewMessage> {
    if (!this.parts.sign) return message
    const from = headerValue(headerBlock(message.raw), 'from')
    const address = from ? (/<([^>]*)>\s*$/.exec(from)?.[1] ?? from) : null
    const raw = await this.parts.sign(message.raw, address ? addressDomain(address) : null)
    return raw === message.raw ? message : { ...message, raw }
  }
}
