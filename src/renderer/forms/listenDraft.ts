import { FIELD_LABELS } from '../../shared/labels.ts'
import type { SettingsFields, SettingsView } from '../../shared/settings.ts'

// Local submission on Edit Settings: what its inputs hold, and the settings
// and Submission password they make. Kept apart from the relay's draft.

export interface ListenDraft {
  enabled: boolean
  address: string
  port: string
  requireAuth: boolean
  username: string
  /** A new Submission password; empty keeps the saved one. */
  password: string
  clearPassword: boolean
  starttls: boolean
  certFile: string
  keyFile: string
}

export type ListenFields = Pick<
  SettingsFields,
  'listenEnabled' | 'listenAddress' | 'listenPort' | 'listenRequireAuth' | 'listenUsername' | 'listenStarttls' | 'listenCertFile' | 'listenKeyFile'
>

/** The fields of local submission, for the Advanced section's focus and error handling. */
export const LISTEN_FIELDS = ['listenEnabled', 'listenAddress', 'listenPort', 'listenRequireAuth', 'listenUsername', 'listenPassword', 'listenStarttls', 'listenCertFile', 'listenKeyFile'] as const

export function toListenDraft(view: SettingsView): ListenDraft {
  const s = view.settings
  return {
    enabled: s.listenEnabled,
    address: s.listenAddress,
    port: String(s.listenPort),
    requireAuth: s.listenRequireAuth,
    username: s.listenUsername,
    password: '',
    clearPassword: false,
    starttls: s.listenStarttls,
    certFile: s.listenCertFile,
    keyFile: s.listenKeyFile,
  }
}

/** The settings fields from the draft; a port that is not a number is reported in `errors` and stands in as the default. */
export function listenSettings(d: ListenDraft, errors: Record<string, string>): ListenFields {
  const text = d.port.trim()
  if (!/^\d+$/.test(text)) errors.listenPort = `${FIELD_LABELS.listenPort} must be a number from 1 to 65535.`
  return {
    listenEnabled: d.enabled,
    listenAddress: d.address,
    listenPort: /^\d+$/.test(text) ? Number(text) : 2525,
    listenRequireAuth: d.requireAuth,
    listenUsername: d.username,
    listenStarttls: d.starttls,
    listenCertFile: d.certFile,
    listenKeyFile: d.keyFile,
  }
}

/** As the relay's password: undefined keeps the saved one, null clears it, a string replaces it. */
export function listenPasswordOf(d: ListenDraft, hasPassword: boolean): string | null | undefined {
  if (hasPassword && d.clearPassword) return null
  return d.password === '' ? undefined : d.password
}

/** The settings fields whose inputs differ between two drafts: their errors go once the admin changes them, as every other field's do. */
export function listenFieldsChanged(before: ListenDraft, after: ListenDraft): string[] {
  const keys = (Object.keys(after) as (keyof ListenDraft)[]).filter((k) => before[k] !== after[k])
  return keys.map((k) => (k === 'clearPassword' ? 'listenPassword' : `listen${k[0]!.toUpperCase()}${k.slice(1)}`))
}
