import { z } from 'zod'
import type { DeliveryHealthState, QueueState } from './types.ts'

// The systems one console manages: this computer's own engine (always there,
// id 'local') and any number of Postfix servers, on this computer or over
// SSH. Every API method but the systems.* ones is answered by one system,
// named on each call (the web adapter's header, the desktop app's IPC
// argument); none named is this computer's engine.

export { LOCAL_SYSTEM, SYSTEM_HEADER, SYSTEM_PARAM } from './wire.ts'

export type SystemKind = 'embedded' | 'postfix'

export interface SystemInfo {
  id: string
  name: string
  kind: SystemKind
  /** Where it runs, in the admin's words: "this computer" or "admin@mail1.example.net:22". */
  where: string
  /** A Postfix instance's configuration directory, when not the server's default. */
  configDir?: string
  /** SSH: the key it signs in with, when not the agent's or ssh's default. */
  identityFile?: string
}

const SYSTEM_ID = /^[a-z0-9][a-z0-9-]{0,39}$/

export const systemIdSchema = z.string().regex(SYSTEM_ID, 'A system id is up to 40 lowercase letters, digits and hyphens.')

/** user@host or user@host:port, as ssh takes it; IPv6 hosts in brackets. */
export const SSH_TARGET = /^([a-z_][a-z0-9_.-]{0,31})@(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?$/

export const systemAddSchema = z
  .object({
    name: z.string().trim().min(1, 'Give the system a name, such as mail1.').max(60, 'A name is at most 60 characters.'),
    kind: z.literal('postfix', { error: 'Only Postfix servers can be added; this computer’s engine is always there.' }),
    /** Absent or empty: the Postfix on this computer. */
    ssh: z
      .string()
      .trim()
      .regex(SSH_TARGET, 'Give the server as user@host or user@host:port, as ssh takes it.')
      .refine((v) => Number(SSH_TARGET.exec(v)?.[3] ?? 22) <= 65535, 'The SSH port is a number from 1 to 65535.')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    configDir: z
      .string()
      .trim()
      .max(1024)
      .regex(/^\/[^\0\n]*$/, 'The configuration directory is an absolute path, such as /etc/postfix-out.')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    identityFile: z
      .string()
      .trim()
      .max(1024)
      .regex(/^[/~][^\0\n]*$/, 'The key file is a path, such as ~/.ssh/id_ed25519.')
      .optional()
      .or(z.literal('').transform(() => undefined)),
  })
  .refine((s) => s.identityFile === undefined || s.ssh !== undefined, { message: 'A key file is for a server reached over SSH.', path: ['identityFile'] })

export type SystemAdd = z.output<typeof systemAddSchema>

/** One system's line in the all-systems summary. */
export interface SystemSummary {
  system: SystemInfo
  /** null when it could not be asked: then `problem` says why (never read as an empty queue). */
  counts: (Record<QueueState, number> & { total: number }) | null
  lastDeliveryAt: number | null
  health: DeliveryHealthState | 'unreachable'
  /** What needs the admin, in a sentence, or null. */
  problem: string | null
  /** How long asking it took. */
  ms: number
}

/** An SSH server whose host key is not known yet: shown to the admin, who accepts it or not. */
export interface HostKeyQuestion {
  systemId: string
  where: string
  /** As ssh prints it: SHA256:… */
  fingerprint: string
}
