import { useEffect } from 'react'
import type { CountAndBytes, DayReport, ReportTotals } from '../../shared/report.ts'
import { Empty, ErrorNotice } from '../components/Notices.tsx'
import { formatBytes, formatCount, formatTime, localDay } from '../format.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'

// Today's Report and Yesterday's Report: a day's totals, then messages by
// sender and by recipient. Each block is its own component so the full report
// can add sections without touching these.

export function ReportPage({ day }: { day: 'today' | 'yesterday' }) {
  const { reports } = useStores()
  const date = localDay(day === 'today' ? 0 : -1)
  const entry = useSlice(reports, (s) => s.byDate[date])

  useEffect(() => {
    const off = day === 'today' ? reports.getState().watch(date) : () => {}
    void reports.getState().load(date)
    return off
  }, [reports, date, day])

  const report = entry?.report ?? null
  return (
    <>
      <p className="lead">
        Summary of SMTP activity on <strong>{date}</strong> (local time)
        {report && (
          <span className="muted">
            {' '}
            — {formatTime(report.from)} to {formatTime(report.to)}
          </span>
        )}
        .
      </p>
      <ErrorNotice error={entry?.error ?? null} title="The report could not be made." />
      {!report && !entry?.error && <p className="muted">Loading the report…</p>}
      {report && <ReportBody report={report} />}
    </>
  )
}

export function ReportBody({ report }: { report: DayReport }) {
  return (
    <div className="report">
      <Totals totals={report.totals} />
      <Problems warnings={report.warnings} errors={report.errors} />
      <div className="report-tables">
        <TopTable title="Messages by sender" keyLabel="Sender" rows={report.sendersByCount} empty="No message was received this day." />
        <TopTable title="Messages by recipient" keyLabel="Recipient" rows={report.recipientsByCount} empty="No message was delivered this day." />
      </div>
    </div>
  )
}

function Totals({ totals: t }: { totals: ReportTotals }) {
  const rows: [string, string][] = [
    ['Received', formatCount(t.received)],
    ['Delivered', formatCount(t.delivered)],
    ['Deferred', `${formatCount(t.deferred)} messages / ${formatCount(t.deferrals)} deferrals`],
    ['Bounced', formatCount(t.bounced)],
    ['Expired', formatCount(t.expired)],
    ['Held', formatCount(t.held)],
    ['Deleted', formatCount(t.deleted)],
    ['Bytes received', formatBytes(t.bytesReceived)],
    ['Bytes delivered', formatBytes(t.bytesDelivered)],
    ['Senders', formatCount(t.senders)],
    ['Sending domains', formatCount(t.senderDomains)],
    ['Recipients', formatCount(t.recipients)],
    ['Recipient domains', formatCount(t.recipientDomains)],
  ]
  return (
    <section aria-labelledby="report-totals" className="card">
      <h2 id="report-totals">Totals</h2>
      <table className="grid small totals">
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Problems({ warnings, errors }: { warnings: number; errors: number }) {
  return (
    <section aria-labelledby="report-problems" className="card">
      <h2 id="report-problems">Warnings and errors</h2>
      <p>
        <span className="badge badge-warning">warnings</span> <span className="num">{formatCount(warnings)}</span>{' '}
        <span className="badge badge-error">errors</span> <span className="num">{formatCount(errors)}</span>
      </p>
      {warnings + errors > 0 && (
        <p>
          Read them in <a href={href('/logs')}>the system events</a>.
        </p>
      )}
    </section>
  )
}

function TopTable({ title, keyLabel, rows, empty }: { title: string; keyLabel: string; rows: CountAndBytes[]; empty: string }) {
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <table className="grid small">
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col" className="num">
                Messages
              </th>
              <th scope="col" className="num">
                Bytes
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td className="clip" title={r.key}>
                  {r.key}
                </td>
                <td className="num">{formatCount(r.count)}</td>
                <td className="num">{formatBytes(r.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
