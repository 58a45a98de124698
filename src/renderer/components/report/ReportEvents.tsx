import type { DayReport, ReportEvent } from '../../../shared/report.ts'
import { formatCount } from '../../format.ts'
import { href } from '../../routes.ts'
import { Badge, Clip } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'
import { Empty } from '../Notices.tsx'

// The day's warnings and errors grouped by cause, the largest group first, each opening to its entries;
// a day of 72 warnings for one outage is one line, not 72.

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

/** A delivery event names its message and recipient ("3F2A: bob@example.com deferred: …"); the cause is the rest. */
const PER_MESSAGE = /^[^\s:]+: \S+ (\w+): (.*)$/s

export function causeOf(e: Pick<ReportEvent, 'message'>): string {
  const m = PER_MESSAGE.exec(e.message)
  return m ? `${m[1]![0]!.toUpperCase()}${m[1]!.slice(1)}: ${m[2]}` : e.message
}

export interface EventGroup {
  key: string
  level: ReportEvent['level']
  source: string
  cause: string
  events: ReportEvent[]
}

/** Groups by level, source and cause; errors before warnings, then the largest group first. */
export function groupEvents(events: ReportEvent[]): EventGroup[] {
  const groups = new Map<string, EventGroup>()
  for (const e of events) {
    const cause = causeOf(e)
    const key = `${e.level}\u0000${e.source}\u0000${cause}`
    const group = groups.get(key) ?? { key, level: e.level, source: e.source, cause, events: [] }
    group.events.push(e)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => (a.level === b.level ? b.events.length - a.events.length : a.level === 'error' ? -1 : 1))
}

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
          <ul className="event-groups">
            {groupEvents(events).map((g) => (
              <li key={g.key}>
                <details>
                  <summary>
                    <Badge value={g.level} /> <span className="num event-count">{formatCount(g.events.length)}×</span> <span className="event-cause">{g.cause}</span>{' '}
                    <span className="muted">
                      ({g.source}, latest {clock(Math.max(...g.events.map((e) => e.at)))})
                    </span>
                  </summary>
                  <DataTable className="grid report-events" columns={EVENT_COLUMNS} rows={g.events} rowKey={(e) => e.id} rowClass={(e) => `row-${e.level}`} />
                </details>
              </li>
            ))}
          </ul>
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
