import type { SettingsFields } from '../../../shared/settings.ts'
import type { NewMessage } from '../queue/queue.ts'
import type { ListenerLimits, ListenerState } from './listener.ts'

// What the engine and the listener's thread say to each other
// (listener-host.ts, listener-thread.ts). Every message is a plain object:
// it crosses the thread by structured clone, so a Buffer arrives as a
// Uint8Array and an Error as its words.

export interface ThreadInit {
  dataDir: string
  limits?: Partial<ListenerLimits>
}

/** Why accept() was refused, as the listener needs it: a full disk is 452, anything else 451. */
export interface Refusal {
  message: string
  trouble: 'full' | 'other' | null
}

/** The engine → the thread. */
export type ToThread =
  | { t: 'apply'; id: number; settings: SettingsFields }
  | { t: 'stop'; id: number }
  | { t: 'answer'; id: number; value: unknown }
  | { t: 'refuse'; id: number; refusal: Refusal }

/** The thread → the engine. */
export type FromThread =
  /** The thread's modules are loaded: it takes commands. */
  | { t: 'ready' }
  /** An apply or a stop is done. */
  | { t: 'done'; id: number }
  /** Queue this message (its raw bytes a Uint8Array of their own); answered with its queue id once durable. */
  | { t: 'accept'; id: number; message: NewMessage }
  | { t: 'password'; id: number }
  | { t: 'state'; state: ListenerState }
  | { t: 'log'; level: 'info' | 'warning' | 'error'; message: string; details?: Record<string, unknown> }
