import { ErrorNotice } from '../Notices.tsx'
import type { DiagnosticsRunState } from '../../hooks/useDiagnosticsRun.ts'
import { CheckList, SummaryLine } from './CheckList.tsx'

// Edit Settings' Check connection: the relay or direct checks of the form's
// unsaved values, under the form's buttons, each "Fix" going to its field.

export function ConnectionResults({ run, onFix }: { run: DiagnosticsRunState; onFix: (field: string) => void }) {
  if (!run.running && run.checks.length === 0 && !run.error) return null
  return (
    <div className="check-results" role="region" aria-label="Check connection">
      {/* Errors naming a field are shown under that field. */}
      <ErrorNotice error={run.error && !run.error.fields ? run.error : null} title="The connection could not be checked." />
      <SummaryLine checks={run.checks} running={run.running} finishedAt={run.finishedAt} />
      <CheckList checks={run.checks} onFix={onFix} />
    </div>
  )
}
