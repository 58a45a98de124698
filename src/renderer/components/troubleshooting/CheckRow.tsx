import { useState } from 'react'
import type { Check, CheckVerdict } from '../../../shared/diagnostics.ts'
import { href } from '../../routes.ts'
import { fieldLabel, VERDICT_ICONS, VERDICT_WORDS } from './checks.ts'

// One check: its verdict (icon and word), what was checked, the sentence that
// says what was found, what to do, the "Fix" that opens the setting, and the
// facts behind it one click away.

export function Verdict({ verdict }: { verdict: CheckVerdict }) {
  return (
    <span className={`verdict verdict-${verdict}`}>
      <span className="verdict-icon" aria-hidden="true">
        {VERDICT_ICONS[verdict]}
      </span>
      {VERDICT_WORDS[verdict]}
    </span>
  )
}

/** With onFix, "Fix" is a button (on Edit Settings itself); without, a link to Edit Settings with the field focused. */
export function CheckRow({ check, onFix }: { check: Check; onFix?: (field: string) => void }) {
  const [open, setOpen] = useState(false)
  const detailId = `check-${check.id.replace('.', '-')}-detail`
  const showFix = check.field && (check.verdict === 'fail' || check.verdict === 'warn' || check.verdict === 'skip')
  const fixName = check.field ? `Fix: open ${fieldLabel(check.field)} in Edit Settings` : ''
  return (
    <li className={`check check-${check.verdict}`} data-check={check.id}>
      <Verdict verdict={check.verdict} />
      <div className="check-body">
        <p className="check-title">{check.title}</p>
        <p className="check-summary">{check.summary}</p>
        {check.fix && check.verdict !== 'pass' && (
          <p className="check-fix">
            <strong>What to do: </strong>
            {check.fix}
          </p>
        )}
        {check.detail && (
          <>
            <button type="button" className="link-button check-more" aria-expanded={open} aria-controls={detailId} onClick={() => setOpen(!open)}>
              {open ? 'Hide details' : 'Details'}
            </button>
            {open && (
              <pre id={detailId} className="check-detail">
                {check.detail}
              </pre>
            )}
          </>
        )}
      </div>
      <div className="check-action">
        {showFix &&
          (onFix ? (
            <button type="button" onClick={() => onFix(check.field!)} aria-label={`Fix: go to ${fieldLabel(check.field!)}`}>
              Fix
            </button>
          ) : (
            <a className="button" href={href('/settings', { focus: check.field! })} aria-label={fixName}>
              Fix
            </a>
          ))}
      </div>
    </li>
  )
}
