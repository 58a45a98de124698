import type { ProblemDetail } from '../../../shared/report.ts'
import { formatCount, plural } from '../../format.ts'
import { Address } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'
import { Empty } from '../Notices.tsx'

// Deferral or bounce detail: the day's failures by cause and by domain.

export function ProblemSection({ kind, detail }: { kind: 'deferral' | 'bounce'; detail: ProblemDetail }) {
  const title = kind === 'deferral' ? 'Deferral detail' : 'Bounce detail'
  const id = `report-${kind}`
  const tone = kind === 'deferral' ? 'deferred' : 'bounced'
  return (
    <section aria-labelledby={id} className={`card report-card problem-${tone}`}>
      <div className="section-head">
        <h2 id={id}>{title}</h2>
        <span className="muted small-note">{kind === 'deferral' ? plural(detail.total, 'deferred attempt') : `${plural(detail.total, 'recipient')} bounced or expired`}</span>
      </div>
      {detail.total === 0 ? (
        <Empty>{kind === 'deferral' ? 'No delivery was deferred this day.' : 'No recipient bounced or expired this day.'}</Empty>
      ) : (
        <div className="problem-tables">
          <ByCause detail={detail} tone={tone} />
          <ByDomain detail={detail} tone={tone} />
        </div>
      )}
    </section>
  )
}

function ByCause({ detail, tone }: { detail: ProblemDetail; tone: string }) {
  const columns: Column<ProblemDetail['byCause'][number]>[] = [
    {
      key: 'cause',
      header: 'Cause',
      cellClass: 'wrap',
      cell: (c) => (
        <>
          <span className="cause-summary">{c.summary}</span>
          {c.fix && <span className="cause-fix">What to try: {c.fix}</span>}
          {c.sample && (
            <code className="cause-sample" title={c.sample}>
              {c.sample}
            </code>
          )}
        </>
      ),
    },
    { key: 'count', header: 'Count', num: true, width: 'w-count', cellClass: `tone-${tone}`, cell: (c) => formatCount(c.count) },
    { key: 'domains', header: 'Domains', width: 'w-cause-domains', cellClass: 'wrap', cell: (c) => c.domains.map((d) => `${d.domain} (${formatCount(d.count)})`).join(', ') },
  ]
  return (
    <div>
      <h3>By cause</h3>
      <DataTable className="grid report-causes" columns={columns} rows={detail.byCause} rowKey={(c) => c.cause} />
    </div>
  )
}

function ByDomain({ detail, tone }: { detail: ProblemDetail; tone: string }) {
  // A cause's id is short enough for the column; its summary is the tooltip.
  // The decoded sentence leads; the cause's id stays in the tooltip, for a search or a script.
  const summaries = new Map(detail.byCause.map((c) => [c.cause, c.summary]))
  const columns: Column<ProblemDetail['byDomain'][number]>[] = [
    { key: 'domain', header: 'Domain', width: 'w-problem-domain', cell: (d) => <Address text={d.domain} /> },
    { key: 'count', header: 'Count', num: true, width: 'w-count', cellClass: `tone-${tone}`, cell: (d) => formatCount(d.count) },
    {
      key: 'causes',
      header: 'Causes',
      cellClass: 'wrap',
      cell: (d) =>
        d.causes.map((c, i) => (
          <span key={c.cause} title={c.cause}>
            {i > 0 && '; '}
            {summaries.get(c.cause) ?? c.cause} ({formatCount(c.count)})
          </span>
        )),
    },
  ]
  return (
    <div>
      <h3>By domain</h3>
      <DataTable className="grid report-problem-domains" columns={columns} rows={detail.byDomain} rowKey={(d) => d.domain} />
    </div>
  )
}
