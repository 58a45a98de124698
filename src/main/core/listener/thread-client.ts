import { Worker } from 'node:worker_threads'
import type { SettingsFields } from '../../../shared/settings.ts'
import type { NewMessage } from '../queue/queue.ts'
import type { ListenerState } from './listener.ts'
import type { FromThread, Refusal, ThreadInit, ToThread } from './thread-protocol.ts'

// The engine's end of the listener's thread (listener-thread.ts): starts it,
// sends it the settings, answers what it asks (queue this message, the
// password) and passes on what it says (its state, events for the log).

export interface ThreadParts {
  accept(message: NewMessage): Promise<string>
  password(): Promise<string | null>
  /** Why accept() failed, in the words the thread's listener answers with. */
  refusal(err: unknown): Refusal
  changed(state: ListenerState): void
  logEvent(level: 'info' | 'warning' | 'error', message: string, details?: Record<string, unknown>): void
  /** The thread ended without being stopped (a crash); what it had in hand is lost with its sessions. */
  died(reason: string): void
}

/** How long a thread may take to load its modules before the engine does without it. */
const START_TIMEOUT_MS = 15_000

/**
 * How long an apply or a stop may take before the thread is taken for stuck and ended: a stop
 * gives clients 5 s (smtp-server's close timeout) and waits for the commits of what it holds.
 */
export const COMMAND_TIMEOUT_MS = 20_000

export class ListenerThread {
  private readonly worker: Worker
  private readonly parts: ThreadParts
  private lastId = 0
  private readonly pending = new Map<number, () => void>()
  private stopping = false
  private ended = false
  private readonly commandTimeoutMs: number

  private constructor(worker: Worker, parts: ThreadParts, commandTimeoutMs: number) {
    this.worker = worker
    this.parts = parts
    this.commandTimeoutMs = commandTimeoutMs
  }

  /** Starts the thread; rejects (the thread gone) when it cannot load or does not say it is ready in time. */
  static start(entry: URL, init: ThreadInit, parts: ThreadParts, commandTimeoutMs = COMMAND_TIMEOUT_MS): Promise<ListenerThread> {
    return new Promise((resolve, reject) => {
      let worker: Worker
      try {
        worker = new Worker(entry, { workerData: init, name: 'smtp-console-listener' })
      } catch (err) {
        reject(err)
        return
      }
      const thread = new ListenerThread(worker, parts, commandTimeoutMs)
      const timer = setTimeout(() => {
        fail(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`))
        void worker.terminate()
      }, START_TIMEOUT_MS)
      const fail = (err: Error) => {
        clearTimeout(timer)
        worker.off('message', ready)
        reject(err)
      }
      const ready = (m: FromThread) => {
        if (m.t !== 'ready') return
        clearTimeout(timer)
        worker.off('message', ready)
        worker.off('error', fail)
        worker.off('exit', exitEarly)
        thread.listen()
        resolve(thread)
      }
      const exitEarly = (code: number) => fail(new Error(`it exited with code ${code} as it started`))
      worker.on('message', ready)
      worker.once('error', fail)
      worker.once('exit', exitEarly)
    })
  }

  private listen(): void {
    this.worker.on('message', (m: FromThread) => this.onMessage(m))
    let crash: Error | null = null
    this.worker.on('error', (err) => (crash = err))
    this.worker.on('exit', (code) => {
      this.ended = true
      for (const done of this.pending.values()) done()
      this.pending.clear()
      const reason = crash ? crash.message : `it exited with code ${code}`
      if (!this.stopping) this.parts.died(reason)
      // Ending anyway: only a fault is worth saying (its clients may send again what they were sending).
      else if (crash) this.parts.logEvent('warning', `Local submission's thread failed as it stopped (${reason}); clients in a session then may send their message again.`)
    })
  }

  private onMessage(m: FromThread): void {
    switch (m.t) {
      case 'accept': {
        const raw = m.message.raw as Uint8Array
        const message = { ...m.message, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) }
        this.parts.accept(message).then(
          (queueId) => this.send({ t: 'answer', id: m.id, value: queueId }),
          (err: unknown) => this.send({ t: 'refuse', id: m.id, refusal: this.parts.refusal(err) }),
        )
        return
      }
      case 'password':
        this.parts.password().then(
          (password) => this.send({ t: 'answer', id: m.id, value: password }),
          () => this.send({ t: 'answer', id: m.id, value: null }),
        )
        return
      case 'state':
        this.parts.changed(m.state)
        return
      case 'log':
        this.parts.logEvent(m.level, m.message, m.details)
        return
      case 'done':
        this.pending.get(m.id)?.()
        this.pending.delete(m.id)
        return
      case 'ready':
        return
    }
  }

  private send(m: ToThread): void {
    if (!this.ended) this.worker.postMessage(m)
  }

  /** Sends a command and waits for it to be done, or for the thread to end; a thread that does neither in time is ended. */
  private command(m: (id: number) => ToThread): Promise<void> {
    if (this.ended) return Promise.resolve()
    const id = ++this.lastId
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.parts.logEvent('error', `Local submission's thread did not answer within ${this.commandTimeoutMs / 1000} s; it is ended.`)
        // Its exit settles this command and every other.
        void this.worker.terminate()
      }, this.commandTimeoutMs)
      this.pending.set(id, () => {
        clearTimeout(timer)
        resolve()
      })
      this.send(m(id))
    })
  }

  /** Starts, restarts or stops listening as these settings say. */
  apply(settings: SettingsFields): Promise<void> {
    return this.command((id) => ({ t: 'apply', id, settings }))
  }

  /** Closes the sessions (421 to those still talking), waits for the messages in hand, and ends the thread. */
  async stop(): Promise<void> {
    this.stopping = true
    await this.command((id) => ({ t: 'stop', id }))
    if (!this.ended) await this.worker.terminate()
  }
}
