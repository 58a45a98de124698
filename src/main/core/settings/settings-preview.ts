import type { SettingsChange } from '../../../shared/api.ts'
import { FIELD_LABELS, LISTEN_PASSWORD_LABEL, PASSWORD_LABEL } from '../../../shared/labels.ts'
import type { SettingsFields, SettingsUpdate, SettingsView } from '../../../shared/settings.ts'

// What a save would change on the embedded engine, before it is made: each
// changed field by its label, with its value as the form shows it. Secrets
// are only ever "set" or "not set".

/** A value as the admin reads it on the form: blank for none, on/off for a switch. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** A secret as an update leaves it: undefined keeps it, null or '' clears it, a string replaces it. */
function secretChange(label: string, saved: boolean, given: string | null | undefined): SettingsChange | null {
  if (given === undefined) return null
  const after = given !== null && given !== ''
  if (!saved && !after) return null
  return { name: label, from: saved ? 'set' : 'not set', to: after ? 'set' : 'not set' }
}

export function settingsPreview(view: SettingsView, update: SettingsUpdate): SettingsChange[] {
  const next = update.settings
  const changes: SettingsChange[] = (Object.keys(FIELD_LABELS) as (keyof SettingsFields)[])
    .filter((k) => JSON.stringify(view.settings[k]) !== JSON.stringify(next[k]))
    .map((k) => ({ name: FIELD_LABELS[k], from: shown(view.settings[k]), to: shown(next[k]) }))
  const secrets = [secretChange(PASSWORD_LABEL, view.hasPassword, update.password), secretChange(LISTEN_PASSWORD_LABEL, view.hasListenPassword ?? false, update.listenPassword)]
  return [...changes, ...secrets.filter((c) => c !== null)]
}
