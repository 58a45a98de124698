import { FIELD_LABELS } from '../../shared/labels.ts'
import { PRESETS, SIGN_IN_LABELS, type Preset } from '../../shared/presets.ts'
import { DEFAULT_SETTINGS } from '../../shared/settings.ts'
import { TLS_MODE_LABELS, type Draft } from './SettingsForm.ts'

// What picking a provider preset does to the Edit Settings draft, and whether
// it would replace something the admin entered (then the form asks first).

export type PresetField = 'relayHost' | 'relayPort' | 'useTls' | 'tlsMode' | 'useSasl' | 'authMethod' | 'username'
export type PresetValues = Pick<Draft, PresetField>
export type PresetPatch = Partial<PresetValues>

export interface PresetChange {
  field: PresetField
  label: string
  from: string
  to: string
}

export interface PresetPlan {
  /** The fields that change. */
  patch: PresetPatch
  /** Everything the preset puts in the form, changed or not: what no longer counts as typed by the admin. */
  fill: PresetPatch
  changes: PresetChange[]
  /** Whether a change replaces a value the admin entered (or saved): then the form asks before filling. */
  asks: boolean
}

const ORDER: readonly PresetField[] = ['relayHost', 'relayPort', 'useTls', 'tlsMode', 'useSasl', 'authMethod', 'username']

/** A fresh console's values: replacing these discards nothing. */
const UNTOUCHED: PresetValues = {
  relayHost: '',
  relayPort: '',
  useTls: DEFAULT_SETTINGS.useTls,
  tlsMode: DEFAULT_SETTINGS.tlsMode,
  useSasl: DEFAULT_SETTINGS.useSasl,
  authMethod: DEFAULT_SETTINGS.authMethod,
  username: '',
}

/** Usernames a provider fixes for everyone (SendGrid's "apikey"): no admin typed them as theirs. */
const FIXED_USERNAMES = new Set(PRESETS.flatMap((p) => (p.username ? [p.username] : [])))

function shown(field: PresetField, value: PresetValues[PresetField]): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (field === 'tlsMode') return TLS_MODE_LABELS[value as Draft['tlsMode']]
  if (field === 'authMethod') return SIGN_IN_LABELS[value as Draft['authMethod']]
  return value === '' ? '(blank)' : value
}

/**
 * Plans a preset on the draft: host, port, TLS and SASL always; Username only where it is empty or
 * holds what a preset put there. `previous` is what the last preset filled in, so picking one after
 * another without typing never asks.
 */
export function planPreset(draft: Draft, preset: Preset, host: string, previous: PresetPatch | null): PresetPlan {
  const fill: PresetPatch = {
    relayHost: host,
    relayPort: String(preset.relayPort),
    useTls: preset.useTls,
    tlsMode: preset.tlsMode,
    useSasl: preset.useSasl,
  }
  // The recommended sign-in method, where the preset signs in at all.
  const method = preset.signIn.find((m) => m !== 'none')
  if (preset.useSasl && method) fill.authMethod = method
  const username = draft.username.trim()
  if (username === '' || username === previous?.username || FIXED_USERNAMES.has(username)) fill.username = preset.username ?? ''

  const patch: PresetPatch = {}
  const changes: PresetChange[] = []
  let asks = false
  for (const field of ORDER) {
    const to = fill[field]
    const from = draft[field]
    if (to === undefined || to === from) continue
    Object.assign(patch, { [field]: to })
    changes.push({ field, label: FIELD_LABELS[field], from: shown(field, from), to: shown(field, to) })
    if (from !== UNTOUCHED[field] && from !== previous?.[field]) asks = true
  }
  return { patch, fill, changes, asks }
}
