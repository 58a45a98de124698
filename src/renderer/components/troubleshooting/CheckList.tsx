import { useState } from 'react'
import type { Check } from '../../../shared/diagnostics.ts'
import { formatTime } from '../../format.ts'
import { CheckRow } from './CheckRow.tsx'
import { connectionTranscript, sectionOf, summaryLine, VERDICT_ICONS } from './checks.ts'

// The checks of a run, grouped as an admin reads them — how mail leaves, then
// the DNS that receivers judge it by — under one line that sums them up.

const SECTION_TITLES = {
  relay: 'The relay',
  direct: 'Direct delivery to the recipients’ mail servers',
  dns: 'DNS of this system and its sender domain',
} as const

export function SummaryLine({ checks, running, finishedAt }: { checks: readonly Check[]; running: boolean; finishedAt: number | null }) {
  const line = summaryLine(checks)
  if (running) {
    return (
      <p className="check-summary-line summary-running" role="status">
        Checking… {checks.length > 0 ? `${checks.length} done${line && line.worst !== 'pass' ? `; so far ${line.text}` : ''}.` : ''}
      </p>
    )
  }
  if (!line) return null
  return (
    <p className={`check-summary-line summary-${line.worst}`} role="status">
      {/* The words say it; the icon only echoes the worst verdict. */}
      <span className={`verdict verdict-${line.worst}`} aria-hidden="true">
        <span className="verdict-icon">{VERDICT_ICONS[line.worst]}</span>
      </span>
      <strong>{line.text}</strong>
      {finishedAt && <span className="muted"> · {checks.length} checks, run at {formatTime(finishedAt)}</span>}
    </p>
  )
}

export function CheckList({ checks, onFix, transcriptTitle }: { checks: readonly Check[]; onFix?: (field: string) => void; transcriptTitle?: string }) {
  const sections = (['relay', 'direct', 'dns'] as const).map((s) => ({ key: s, checks: checks.filter((c) => sectionOf(c) === s) })).filter((s) => s.checks.length)
  return (
    <>
      {sections.map((s) => (
        <section key={s.key} className="check-section" aria-labelledby={`checks-${s.key}`}>
          <h2 id={`checks-${s.key}`}>{s.key === 'relay' && transcriptTitle ? `${SECTION_TITLES.relay}: ${transcriptTitle}` : SECTION_TITLES[s.key]}</h2>
          <ul className="checks">
            {s.checks.map((c) => (
              <CheckRow key={c.id} check={c} {...(onFix ? { onFix } : {})} />
            ))}
          </ul>
          {s.key !== 'dns' && <Transcript checks={s.checks} />}
        </section>
      ))}
    </>
  )
}

/** The SMTP session of the connection checks, credentials hidden by the engine. */
export function Transcript({ checks }: { checks: readonly Check[] }) {
  const [open, setOpen] = useState(false)
  const lines = connectionTranscript(checks)
  if (lines.length === 0) return null
  return (
    <div className="transcript">
      <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide SMTP transcript' : 'Show SMTP transcript'}
      </button>
      {open && (
        <>
          <p className="muted">What the checks said and heard; credentials are hidden. Nothing was sent: the session ended with RSET and QUIT before any DATA.</p>
          <pre className="transcript-text" aria-label="SMTP transcript">
            {lines.join('\n')}
          </pre>
        </>
      )}
    </div>
  )
}
