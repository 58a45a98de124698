import { useState } from 'react'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import { hasPlaceholder, presetById, presetForHost, PRESETS, SIGN_IN_LABELS, type Preset } from '../../../shared/presets.ts'
import type { Draft } from '../../forms/SettingsForm.ts'
import { planPreset, type PresetPatch, type PresetPlan } from '../../forms/presetFill.ts'
import { ConfirmDialog } from '../Dialog.tsx'

// The Provider picker of Edit Settings: fills the relay fields from a preset and
// shows what the provider needs set up on its side. It never replaces what the
// admin entered without asking; Custom changes nothing.

const CUSTOM = 'custom'

/** Selects the placeholder of a template host, so typing replaces it. */
function selectPlaceholder(preset: Preset): void {
  const input = document.getElementById('settings-relayHost')
  if (!(input instanceof HTMLInputElement) || !preset.placeholder) return
  const at = input.value.indexOf(preset.placeholder)
  input.focus()
  if (at >= 0) input.setSelectionRange(at, at + preset.placeholder.length)
}

export function ProviderPreset({ draft, onApply }: { draft: Draft; onApply(patch: PresetPatch): void }) {
  const [chosen, setChosen] = useState(() => presetForHost(draft.relayHost)?.id ?? CUSTOM)
  const [previous, setPrevious] = useState<PresetPatch | null>(null)
  const [asking, setAsking] = useState<{ preset: Preset; plan: PresetPlan } | null>(null)
  const preset = presetById(chosen)

  function apply(next: Preset, plan: PresetPlan) {
    setAsking(null)
    setChosen(next.id)
    setPrevious(plan.fill)
    onApply(plan.patch)
    // After the commit, and after the dialog hands focus back to the picker.
    if (hasPlaceholder(next, plan.fill.relayHost ?? '')) requestAnimationFrame(() => selectPlaceholder(next))
  }

  function pick(next: Preset, host: string) {
    const plan = planPreset(draft, next, host, previous)
    if (plan.asks) setAsking({ preset: next, plan })
    else apply(next, plan)
  }

  const host = draft.relayHost.trim().toLowerCase()
  const choice = preset?.hostChoices?.choices.find((c) => c.host === host)

  return (
    <>
      <div className="row">
        <label htmlFor="settings-provider">Provider</label>
        <div className="row-control">
          <select
            id="settings-provider"
            aria-describedby="settings-provider-hint"
            value={chosen}
            onChange={(e) => {
              const next = presetById(e.target.value)
              if (next) pick(next, next.relayHost)
              else setChosen(CUSTOM)
            }}
          >
            <option value={CUSTOM}>Custom</option>
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <p id="settings-provider-hint" className="hint">
            Fills Relay Host, Relay Port, Use TLS, TLS mode and Use SASL Authorization; Custom leaves the fields as they are.
          </p>
        </div>
      </div>

      {preset && (
        <div className="row">
          <span className="label" aria-hidden="true" />
          <section className="row-control preset-setup" aria-label={`${preset.name} setup`}>
            {preset.hostChoices && (
              <p className="preset-choice">
                <label htmlFor="settings-provider-host">{preset.hostChoices.label}</label>{' '}
                <select id="settings-provider-host" value={choice?.host ?? ''} onChange={(e) => e.target.value && pick(preset, e.target.value)}>
                  <option value="">Choose…</option>
                  {preset.hostChoices.choices.map((c) => (
                    <option key={c.host} value={c.host}>
                      {c.label}
                    </option>
                  ))}
                </select>
              </p>
            )}
            {preset.placeholder && hasPlaceholder(preset, draft.relayHost) && (
              <p className="notice notice-warning" role="note">
                Replace {preset.placeholder} in Relay Host{preset.placeholderExample ? `, as in ${preset.relayHost.replace(preset.placeholder, preset.placeholderExample)}` : ''}
                {preset.hostChoices ? `, or choose the ${preset.hostChoices.label}` : ''}.
              </p>
            )}
            <p>
              <strong>Sign-in:</strong> {preset.signIn.map((m, i) => SIGN_IN_LABELS[m] + (i === 0 && preset.signIn.length > 1 ? ' (recommended)' : '')).join('; or ')}.
            </p>
            <p>
              <strong>{FIELD_LABELS.username}:</strong> {preset.usernameHint}
            </p>
            <p>
              <strong>On the provider’s side:</strong> {preset.setup}{' '}
              <a href={preset.source} target="_blank" rel="noreferrer">
                Source
              </a>
            </p>
          </section>
        </div>
      )}

      {asking && (
        <ConfirmDialog
          title={`Use the ${asking.preset.name} settings?`}
          confirmLabel={`Replace with ${asking.preset.name}`}
          onConfirm={() => apply(asking.preset, asking.plan)}
          onCancel={() => setAsking(null)}
        >
          <p>These fields would change; what you entered is replaced:</p>
          <ul className="preset-changes">
            {asking.plan.changes.map((c) => (
              <li key={c.field}>
                <strong>{c.label}</strong>: {c.from} → {c.to}
              </li>
            ))}
          </ul>
          <p>Cancel keeps every field as it is.</p>
        </ConfirmDialog>
      )}
    </>
  )
}
