import type { DayReport, ReportTotals } from '../../../shared/report.ts'
import { formatBytes } from '../../../shared/format.ts'
import { formatCount } from '../../format.ts'
import { DataTable, type Column } from '../DataTable.tsx'

// Grand totals of a day, each with the change from the day before.

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
      {totals.deferrals > 0 && (
        <p className="small-note muted" id="report-deferred-note">
          Deferred {formatCount(totals.deferred)} counts messages that waited at least once; Deferrals {formatCount(totals.deferrals)} counts every attempt that
          was put off, once per recipient, so one message retried five times is 1 and 5.
        </p>
      )}
    </section>
  )
}
