import type { ReactNode } from 'react'

// One row of Edit Settings: the label, the control, its error (when there is
// one) and its hint, with the ids the controls point at (aria-describedby).
// Every section of the form uses it, so a field looks and reads the same
// wherever it is.

export interface SettingsRowProps {
  label: string
  /** The settings key: the ids are settings-<field>, -error and -hint. */
  field: string
  /** The control's id, when it is not settings-<field>. */
  htmlFor?: string | undefined
  error?: string | undefined
  hint?: string | undefined
  /** A checkbox row: the control before its words. */
  check?: boolean | undefined
  children: ReactNode
}

export function SettingsRow({ label, field, htmlFor, error, hint, check, children }: SettingsRowProps) {
  return (
    <div className={check ? 'row row-check' : 'row'}>
      <label htmlFor={htmlFor ?? `settings-${field}`}>{label}</label>
      <div className="row-control">
        {children}
        {error && (
          <p id={`settings-${field}-error`} className="field-error">
            {error}
          </p>
        )}
        <p id={`settings-${field}-hint`} className="hint">
          {hint}
        </p>
      </div>
    </div>
  )
}
