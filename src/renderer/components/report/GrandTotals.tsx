import type { CountAndBytes, DayReport, DomainDelivery, ProblemDetail, ReportEvent, ReportTotals } from '../../../shared/report.ts'
import { formatBytes, formatCount, formatDelay, plural } from '../../format.ts'
import { href } from '../../routes.ts'
import { Badge, Clip } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'
import { Empty } from '../Notices.tsx'

// The blocks of a day's report, each a card: grand totals with the change
// from the day before, the domain summary, the top lists, deferral and bounce
// detail, and the day's warnings and errors.

type TotalKey = keyof ReportTotals

interface TotalLine {
  key: TotalKey
  label: string
  hint?: string
  bytes?: boolean
  /** State colour of the figure when it is not zero. */
  tone?: string
}

const TOTAL_GROUPS: TotalLine[][] = [
  [
    { key: 'received', label: 'Received', hint: 'Messages accepted into the queue' },
    { key: 'delivered', label: 'Delivered', hint: 'Deliveries: one per recipient a server accepted', tone: 'delivered' },
    { key: 'deferred', label: 'Deferred', hint: 'Messages deferred at least once', tone: 'deferred' },
    { key: 'deferrals', label: 'Deferrals', hint: 'Deferred attempts: one per recipient and attempt', tone: 'deferred' },
    { key: 'bounced', label: 'Bounced', hint: 'Recipients refused for good (5xx)', tone: 'bounced' },
    { key: 'expired', label: 'Expired', hint: 'Recipients given up at the end of the queue lifetime', tone: 'bounced' },
    { key: 'held', label: 'Held', hint: 'Messages put on hold' },
    { key: 'deleted', label: 'Deleted', hint: 'Recipients removed from the queue by an administrator' },
  ],
  [
    { key: 'bytesReceived', label: 'Bytes received', bytes: true },
    { key: 'bytesDelivered', label: 'Bytes delivered', hint: 'Counted once per delivery, as pflogsumm does', bytes: true },
  ],
  [
    { key: 'senders', label: 'Senders' },
    { key: 'senderDomains', label: 'Sending domains' },
    { key: 'recipients', label: 'Recipients' },
    { key: 'recipientDomains', label: 'Recipient domains' },
  ],
]

/** "+12", "−3" (a true minus sign) or "0"; sizes humanized. */
export function changeText(change: number, bytes = false): string {
  const size = bytes ? formatBytes(Math.abs(change)) : formatCount(Math.abs(change))
  if (change > 0) return `+${size}`
  if (change < 0) return `−${size}`
  return '0'
}

/** The change in words, for screen readers and the tooltip. */
export function changeDescription(change: number, bytes = false): string {
  const size = bytes ? formatBytes(Math.abs(change)) : formatCount(Math.abs(change))
  if (change > 0) return `${size} more than the day before`
  if (change < 0) return `${size} ${bytes ? 'less' : 'fewer'} than the day before`
  return 'the same as the day before'
}

export function GrandTotals({ report }: { report: DayReport }) {
  const { totals, change, previous } = report
  const show = (line: TotalLine, value: number) => (line.bytes ? formatBytes(value) : formatCount(value))
  const columns: Column<TotalLine>[] = [
    { key: 'label', header: 'Total', hideHeader: true, rowHeader: true, cellTitle: (line) => line.hint, cell: (line) => line.label },
    {
      key: 'value',
      header: report.date,
      num: true,
      cellClass: (line) => (line.tone && totals[line.key] > 0 ? `tone-${line.tone}` : undefined),
      cell: (line) => show(line, totals[line.key]),
    },
    {
      key: 'change',
      header: 'Change',
      headerTitle: `Change from ${previous.date}`,
      num: true,
      cellClass: (line) => (change[line.key] === 0 ? 'change muted' : 'change'),
      cellTitle: (line) => `${changeDescription(change[line.key], line.bytes)} (${previous.date}: ${show(line, previous.totals[line.key])})`,
      cell: (line) => (
        <>
          <span aria-hidden="true">{changeText(change[line.key], line.bytes)}</span>
          <span className="visually-hidden">{changeDescription(change[line.key], line.bytes)}</span>
        </>
      ),
    },
  ]
  return (
    <section aria-labelledby="report-totals" className="card report-card">
      <h2 id="report-totals">Grand totals</h2>
      <DataTable className="grid small report-totals" columns={columns} groups={TOTAL_GROUPS} rowKey={(line) => line.key} />
    </section>
  )
}

const DOMAIN_COLUMNS: Column<DomainDelivery>[] = [
  { key: 'domain', header: 'Domain', cell: (d) => <Clip text={d.domain} /> },
  { key: 'sent', header: 'Sent', num: true, width: 'w-count', cell: (d) => formatCount(d.sent) },
  { key: 'bytes', header: 'Bytes', num: true, width: 'w-bytes', cell: (d) => formatBytes(d.bytes) },
  { key: 'defers', header: 'Defers', num: true, width: 'w-count', cellClass: (d) => (d.defers > 0 ? 'tone-deferred' : undefined), cell: (d) => formatCount(d.defers) },
  { key: 'avg', header: 'Avg delay', num: true, width: 'w-report-delay', cell: (d) => (d.sent > 0 ? formatDelay(d.avgDelayMs) : '—') },
  { key: 'max', header: 'Max delay', num: true, width: 'w-report-delay', cell: (d) => formatDelay(d.maxDelayMs) },
]

export function DomainSummary({ domains, top }: { domains: DomainDelivery[]; top: number }) {
  return (
    <section aria-labelledby="report-domains" className="card report-card">
      <div className="section-head">
        <h2 id="report-domains">Host/domain summary</h2>
        <span className="muted small-note">message delivery, top {top}</span>
      </div>
      <DataTable className="grid report-domains" columns={DOMAIN_COLUMNS} rows={domains} rowKey={(d) => d.domain} empty="No message was delivered or deferred this day." />
    </section>
  )
}

export function TopList({ title, keyLabel, rows, by, empty }: { title: string; keyLabel: string; rows: CountAndBytes[]; by: 'count' | 'bytes'; empty: string }) {
  const columns: Column<CountAndBytes>[] = [
    { key: 'key', header: keyLabel, cell: (r) => <Clip text={r.key || '<>'} /> },
    { key: 'count', header: 'Messages', num: true, sorted: by === 'count', width: 'w-count', cellClass: by === 'count' ? 'strong' : undefined, cell: (r) => formatCount(r.count) },
    { key: 'bytes', header: 'Bytes', num: true, sorted: by === 'bytes', width: 'w-bytes', cellClass: by === 'bytes' ? 'strong' : undefined, cell: (r) => formatBytes(r.bytes) },
  ]
  return (
    <section className="card report-card" aria-label={title}>
      <h2>{title}</h2>
      <DataTable className="grid report-top" columns={columns} rows={rows} rowKey={(r) => r.key} empty={empty} />
    </section>
  )
}

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
  const summaries = new Map(detail.byCause.map((c) => [c.cause, c.summary]))
  const columns: Column<ProblemDetail['byDomain'][number]>[] = [
    { key: 'domain', header: 'Domain', width: 'w-problem-domain', cell: (d) => <Clip text={d.domain} /> },
    { key: 'count', header: 'Count', num: true, width: 'w-count', cellClass: `tone-${tone}`, cell: (d) => formatCount(d.count) },
    {
      key: 'causes',
      header: 'Causes',
      cellClass: 'wrap',
      cell: (d) =>
        d.causes.map((c, i) => (
          <span key={c.cause} title={summaries.get(c.cause)}>
            {i > 0 && ', '}
            {c.cause} ({formatCount(c.count)})
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
