import type { CountAndBytes, DayReport, DomainDelivery, ProblemDetail, ReportEvent, ReportTotals } from '../../../shared/report.ts'
import { formatBytes, formatCount, formatDelay, plural } from '../../format.ts'
import { href } from '../../routes.ts'
import { Badge, Clip } from '../Cells.tsx'
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
  return (
    <section aria-labelledby="report-totals" className="card report-card">
      <h2 id="report-totals">Grand totals</h2>
      <table className="grid small report-totals">
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Total</span>
            </th>
            <th scope="col" className="num">
              {report.date}
            </th>
            <th scope="col" className="num" title={`Change from ${previous.date}`}>
              Change
            </th>
          </tr>
        </thead>
        {TOTAL_GROUPS.map((group, i) => (
          <tbody key={i}>
            {group.map((line) => {
              const value = totals[line.key]
              const delta = change[line.key]
              const words = changeDescription(delta, line.bytes)
              return (
                <tr key={line.key}>
                  <th scope="row" title={line.hint}>
                    {line.label}
                  </th>
                  <td className={line.tone && value > 0 ? `num tone-${line.tone}` : 'num'}>{show(line, value)}</td>
                  <td className={delta === 0 ? 'num change muted' : 'num change'} title={`${words} (${previous.date}: ${show(line, previous.totals[line.key])})`}>
                    <span aria-hidden="true">{changeText(delta, line.bytes)}</span>
                    <span className="visually-hidden">{words}</span>
                  </td>
                </tr>
              )
            })}
          </tbody>
        ))}
      </table>
    </section>
  )
}

export function DomainSummary({ domains, top }: { domains: DomainDelivery[]; top: number }) {
  return (
    <section aria-labelledby="report-domains" className="card report-card">
      <div className="section-head">
        <h2 id="report-domains">Host/domain summary</h2>
        <span className="muted small-note">message delivery, top {top}</span>
      </div>
      {domains.length === 0 ? (
        <Empty>No message was delivered or deferred this day.</Empty>
      ) : (
        <table className="grid report-domains">
          <colgroup>
            <col />
            <col className="w-count" />
            <col className="w-bytes" />
            <col className="w-count" />
            <col className="w-report-delay" />
            <col className="w-report-delay" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Domain</th>
              <th scope="col" className="num">
                Sent
              </th>
              <th scope="col" className="num">
                Bytes
              </th>
              <th scope="col" className="num">
                Defers
              </th>
              <th scope="col" className="num">
                Avg delay
              </th>
              <th scope="col" className="num">
                Max delay
              </th>
            </tr>
          </thead>
          <tbody>
            {domains.map((d) => (
              <tr key={d.domain}>
                <td>
                  <Clip text={d.domain} />
                </td>
                <td className="num">{formatCount(d.sent)}</td>
                <td className="num">{formatBytes(d.bytes)}</td>
                <td className={d.defers > 0 ? 'num tone-deferred' : 'num'}>{formatCount(d.defers)}</td>
                <td className="num">{d.sent > 0 ? formatDelay(d.avgDelayMs) : '—'}</td>
                <td className="num">{formatDelay(d.maxDelayMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function TopList({ title, keyLabel, rows, by, empty }: { title: string; keyLabel: string; rows: CountAndBytes[]; by: 'count' | 'bytes'; empty: string }) {
  return (
    <section className="card report-card" aria-label={title}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <table className="grid report-top">
          <colgroup>
            <col />
            <col className="w-count" />
            <col className="w-bytes" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col" className="num" aria-sort={by === 'count' ? 'descending' : undefined}>
                Messages
              </th>
              <th scope="col" className="num" aria-sort={by === 'bytes' ? 'descending' : undefined}>
                Bytes
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td>
                  <Clip text={r.key || '<>'} />
                </td>
                <td className={by === 'count' ? 'num strong' : 'num'}>{formatCount(r.count)}</td>
                <td className={by === 'bytes' ? 'num strong' : 'num'}>{formatBytes(r.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
  return (
    <div>
      <h3>By cause</h3>
      <table className="grid report-causes">
        <colgroup>
          <col />
          <col className="w-count" />
          <col className="w-cause-domains" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Cause</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Domains</th>
          </tr>
        </thead>
        <tbody>
          {detail.byCause.map((c) => (
            <tr key={c.cause}>
              <td className="wrap">
                <span className="cause-summary">{c.summary}</span>
                {c.fix && <span className="cause-fix">What to try: {c.fix}</span>}
                {c.sample && (
                  <code className="cause-sample" title={c.sample}>
                    {c.sample}
                  </code>
                )}
              </td>
              <td className={`num tone-${tone}`}>{formatCount(c.count)}</td>
              <td className="wrap">{c.domains.map((d) => `${d.domain} (${formatCount(d.count)})`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function ByDomain({ detail, tone }: { detail: ProblemDetail; tone: string }) {
  // A cause's id is short enough for the column; its summary is the tooltip.
  const summaries = new Map(detail.byCause.map((c) => [c.cause, c.summary]))
  return (
    <div>
      <h3>By domain</h3>
      <table className="grid report-problem-domains">
        <colgroup>
          <col className="w-problem-domain" />
          <col className="w-count" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Domain</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Causes</th>
          </tr>
        </thead>
        <tbody>
          {detail.byDomain.map((d) => (
            <tr key={d.domain}>
              <td>
                <Clip text={d.domain} />
              </td>
              <td className={`num tone-${tone}`}>{formatCount(d.count)}</td>
              <td className="wrap">
                {d.causes.map((c, i) => (
                  <span key={c.cause} title={summaries.get(c.cause)}>
                    {i > 0 && ', '}
                    {c.cause} ({formatCount(c.count)})
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

const pad = (n: number) => String(n).padStart(2, '0')

function clock(at: number): string {
  const d = new Date(at)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
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
          <table className="grid report-events">
            <colgroup>
              <col className="w-clock" />
              <col className="w-state" />
              <col className="w-source" />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Level</th>
                <th scope="col">Source</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e: ReportEvent) => (
                <tr key={e.id} className={`row-${e.level}`}>
                  <td className="time">{clock(e.at)}</td>
                  <td>
                    <Badge value={e.level} />
                  </td>
                  <td>
                    <Clip text={e.source} />
                  </td>
                  <td className="wrap">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
