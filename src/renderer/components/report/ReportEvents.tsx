import type { DayReport, ReportEvent } from '../../../shared/report.ts'
import { formatCount } from '../../format.ts'
import { href } from '../../routes.ts'
import { Badge, Clip } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'
import { Empty } from '../Notices.tsx'

// The day's warnings and errors, the latest first, with a way to the Logs page.

const pad = (n: number) => String(n).padStart(2, '0')

function clock(at: number): string {
  const d = new Date(at)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const EVENT_COLUMNS: Column<ReportEvent>[] = [
  { key: 'time', header: 'Time', width: 'w-clock', cellClass: 'time', cell: (e) => clock(e.at) },
  { key: 'level', header: 'Level', width: 'w-state', cell: (e) => <Badge value={e.level} /> },
  { key: 'source', header: 'Source', width: 'w-source', cell: (e) => <Clip text={e.source} /> },
  { key: 'message', header: 'Message', cellClass: 'wrap', cell: (e) => e.message },
]

export function ReportEvents({ report }: { report: Pick<DayReport, 'warnings' | 'errors' | 'events'> }) {
  const { warnings, errors, events } = report
  const total = warnings + errors
  return (
    <section aria-labelledby="report-events" className="card report-card">
      <div className="section-head">
        <h2 id="report-events">Warnings and errors</h2>
        <span className="small-note">
          <span className="badge badge-warning">warnings</span> <span className="num">{formatCount(warnings)}</span>{' '}
          <span className="badge badge-error">errors</span> <span className="num">{formatCount(errors)}</span>
        </span>
        <a href={href('/logs')}>Open Logs</a>
      </div>
      {total === 0 ? (
        <Empty>No warning or error was logged this day.</Empty>
      ) : (
        <>
          <DataTable className="grid report-events" columns={EVENT_COLUMNS} rows={events} rowKey={(e) => e.id} rowClass={(e) => `row-${e.level}`} />
          {events.length < total && (
            <p className="muted small-note">
              The latest {formatCount(events.length)} of {formatCount(total)} are shown; <a href={href('/logs')}>the Logs page</a> has them all, with their details.
            </p>
          )}
        </>
      )}
    </section>
  )
}
