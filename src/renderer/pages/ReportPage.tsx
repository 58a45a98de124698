import { useEffect, useId, useState } from 'react'
import type { Result } from '../../shared/api.ts'
import { DAY_FORMAT } from '../../shared/calendar.ts'
import type { DayReport, ReportTotals } from '../../shared/report.ts'
import { DomainSummary } from '../components/report/DomainSummary.tsx'
import { GrandTotals } from '../components/report/GrandTotals.tsx'
import { ProblemSection } from '../components/report/ProblemSection.tsx'
import { ReportEvents } from '../components/report/ReportEvents.tsx'
import { TopList } from '../components/report/TopList.tsx'
import { HourTable, TrafficChart } from '../components/report/TrafficChart.tsx'
import { Empty, ErrorNotice } from '../components/Notices.tsx'
import { localDay } from '../format.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'
import { TOP_SIZES, type ReportFile, type ReportFormat } from '../stores/reports.ts'

// Today's Report and Yesterday's Report, and any day picked in Day: pflogsumm's
// sections (grand totals, per-hour traffic, domains, senders and recipients,
// deferrals and bounces) plus the day's warnings and errors, with export.

/** The day a report page shows: the URL's day when it is a valid past day, else the menu item's own. */
export function reportDay(day: 'today' | 'yesterday', param: string | null): { date: string; chosen: boolean } {
  const own = localDay(day === 'today' ? 0 : -1)
  const valid = param !== null && DAY_FORMAT.test(param) && param <= localDay(0)
  return valid && param !== own ? { date: param, chosen: true } : { date: own, chosen: false }
}

/** The page title: the menu item's name on its own day, the day itself on another. */
export function reportTitle(day: 'today' | 'yesterday', param: string | null): string | null {
  const { date, chosen } = reportDay(day, param)
  return chosen ? `Report for ${date}` : null
}

export function ReportPage({ day, dayParam = null }: { day: 'today' | 'yesterday'; dayParam?: string | null }) {
  const { reports } = useStores()
  const path = day === 'today' ? '/report/today' : '/report/yesterday'
  // Computed on every render so a page left open over midnight moves on with the clock.
  const today = localDay(0)
  // The day picked lives in the URL: it survives a reload and Back goes to the day before.
  const { date, chosen } = reportDay(day, dayParam)
  const setChosen = (d: string | null) => {
    window.location.hash = d === null ? href(path) : href(path, { day: d })
  }
  const top = useSlice(reports, (s) => s.top)
  const entry = useSlice(reports, (s) => s.byDate[date])

  useEffect(() => {
    // Only today's report can still change; it follows the mail log.
    const off = date === today ? reports.getState().watch(date) : () => {}
    void reports.getState().load(date)
    return off
  }, [reports, date, today, top])

  const report = entry?.report ?? null
  return (
    <div className="report-page">
      <ReportBar
        date={date}
        max={today}
        top={top}
        defaultLabel={chosen ? (day === 'today' ? 'Back to today' : 'Back to yesterday') : null}
        onDate={(d) => setChosen(d)}
        onDefault={() => setChosen(null)}
        onTop={(n) => reports.getState().setTop(n)}
        onExport={(format) => reports.getState().exportDay(date, format)}
      />
      <p className="lead">
        SMTP activity on <strong>{date}</strong>, local time
        {report && report.date === date && report.hours.length !== 24 && <> — a daylight-saving day of {report.hours.length} hours</>}
        {report && report.date === date && <>, compared with the day before ({report.previous.date})</>}.
        {/* Live refreshes of today are quiet; a new Top changes every list, so it says it is coming. */}
        {entry?.loading && report && report.top !== top && <span className="muted report-updating"> Updating…</span>}
      </p>
      <ErrorNotice error={entry?.error ?? null} title="The report could not be made." />
      {entry?.error && (
        <p>
          <button type="button" onClick={() => void reports.getState().load(date)}>
            Try again
          </button>
        </p>
      )}
      {!report && !entry?.error && (
        <p className="muted" role="status">
          Loading the report…
        </p>
      )}
      {report && report.date === date && <ReportBody report={report} />}
    </div>
  )
}

function hasActivity(t: ReportTotals): boolean {
  return t.received + t.delivered + t.deferrals + t.bounced + t.expired + t.held + t.deleted > 0
}

export function ReportBody({ report }: { report: DayReport }) {
  if (!hasActivity(report.totals)) {
    return (
      <div className="report">
        <Empty>
          No mail activity on this day. Pick another day in Day, or use Send Test Email to check the configuration; every message the console sends
          is counted here.
        </Empty>
        {report.warnings + report.errors > 0 && <ReportEvents report={report} />}
      </div>
    )
  }
  return (
    <div className="report">
      <div className="report-row report-row-lead">
        <GrandTotals report={report} />
        <section aria-labelledby="report-hours-chart" className="card report-card">
          <h2 id="report-hours-chart">Per-hour traffic</h2>
          <TrafficChart hours={report.hours} />
        </section>
      </div>
      <div className="report-row report-row-lead">
        <section aria-labelledby="report-hours-table" className="card report-card">
          <h2 id="report-hours-table">Per-hour table</h2>
          <HourTable hours={report.hours} />
        </section>
        {/* Senders are few on most systems: their lists sit beside the 24 hours, under the domains. */}
        <div className="report-stack">
          <DomainSummary domains={report.domains} top={report.top} />
          <div className="report-row report-row-pair">
            <TopList title="Senders by message count" keyLabel="Sender" by="count" rows={report.sendersByCount} empty="No message was received this day." />
            <TopList title="Senders by size" keyLabel="Sender" by="bytes" rows={report.sendersBySize} empty="No message was received this day." />
          </div>
        </div>
      </div>
      <div className="report-row report-row-pair">
        <TopList title="Recipients by message count" keyLabel="Recipient" by="count" rows={report.recipientsByCount} empty="No message was delivered this day." />
        <TopList title="Recipients by size" keyLabel="Recipient" by="bytes" rows={report.recipientsBySize} empty="No message was delivered this day." />
      </div>
      <ProblemSection kind="deferral" detail={report.deferralDetail} />
      <ProblemSection kind="bounce" detail={report.bounceDetail} />
      <ReportEvents report={report} />
    </div>
  )
}

type Note = { kind: 'ok' | 'error'; text: string } | null

interface ReportBarProps {
  date: string
  max: string
  top: number
  /** The label of the way back to the menu item's own day, when another day is shown. */
  defaultLabel: string | null
  onDate(date: string): void
  onDefault(): void
  onTop(top: number): void
  onExport(format: ReportFormat): Promise<Result<ReportFile>>
}

function ReportBar({ date, max, top, defaultLabel, onDate, onDefault, onTop, onExport }: ReportBarProps) {
  const dayId = useId()
  const topId = useId()
  const [busy, setBusy] = useState<ReportFormat | 'copy' | null>(null)
  const [note, setNote] = useState<Note>(null)

  useEffect(() => setNote(null), [date, top])

  async function run(action: ReportFormat | 'copy') {
    setBusy(action)
    setNote(null)
    try {
      const result = await onExport(action === 'copy' ? 'text' : action)
      if (!result.ok) {
        setNote({ kind: 'error', text: `The report could not be exported: ${result.error.message}` })
        return
      }
      if (action === 'copy') {
        if (!navigator.clipboard?.writeText) throw new Error('this window has no access to the clipboard. Use Export text instead.')
        await navigator.clipboard.writeText(result.data.content)
        setNote({ kind: 'ok', text: 'Copied.' })
      } else {
        saveFile(result.data)
        setNote({ kind: 'ok', text: `Exported ${result.data.filename}.` })
      }
    } catch (error) {
      const message = messageOf(error)
      setNote({ kind: 'error', text: action === 'copy' ? `Not copied: ${message}` : `Not exported: ${message}` })
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="filters report-bar">
      <span className="filter">
        <label htmlFor={dayId}>Day</label>
        <input
          id={dayId}
          type="date"
          value={date}
          max={max}
          required
          onChange={(e) => {
            if (DAY_FORMAT.test(e.target.value)) onDate(e.target.value)
          }}
        />
      </span>
      {defaultLabel && (
        <button type="button" className="link-button" onClick={onDefault}>
          {defaultLabel}
        </button>
      )}
      <span className="filter">
        <label htmlFor={topId}>Top</label>
        <select id={topId} value={top} onChange={(e) => onTop(Number(e.target.value))}>
          {TOP_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </span>
      <span className="report-actions">
        <button type="button" disabled={busy !== null} onClick={() => void run('text')}>
          Export text
        </button>
        <button type="button" disabled={busy !== null} onClick={() => void run('csv-zip')} title="A zip with one CSV file per table, each with its own columns">
          Export CSV
        </button>
        <button type="button" disabled={busy !== null} onClick={() => void run('copy')}>
          Copy to clipboard
        </button>
      </span>
      <span role="status" className={note?.kind === 'error' ? 'report-note report-note-error' : 'report-note'}>
        {note?.text}
      </span>
    </div>
  )
}

/** The words of a thrown Error or DOMException (the clipboard rejects with the latter). */
function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined
  return typeof message === 'string' && message !== '' ? message : String(error)
}

/** Hands the file to the browser as a download; the desktop app turns it into a save dialog. */
function saveFile(file: ReportFile): void {
  const blob =
    file.encoding === 'base64'
      ? new Blob([Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0))], { type: file.mimeType })
      : new Blob([file.content], { type: `${file.mimeType};charset=utf-8` })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = file.filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  // The download reads the blob after this task; free it once it surely has.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}
