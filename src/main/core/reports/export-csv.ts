import type { CountAndBytes, DayReport } from '../../../shared/report.ts'
import { TOTAL_LINES } from './export-text.ts'
import { zipStored } from './zip.ts'

// A day's report as CSV, for a spreadsheet.

/** What a spreadsheet takes for the start of a formula (=, +, -, @) or a cell break (tab, CR). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180); the log export's too.
 * Text that a spreadsheet would run as a formula (an address such as =1+2@example.com is valid, and a
 * server's reply is anyone's text) gets a leading apostrophe, as OWASP's CSV injection advice says;
 * numbers, negative ones included, are written as they are.
 */
export function csvField(value: string | number | null): string {
  const raw = value === null ? '' : String(value)
  const s = typeof value === 'string' && FORMULA_START.test(raw) ? `'${raw}` : raw
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * The report as CSV (RFC 4180, CRLF line ends). Each section starts with
 * its own heading row, whose first cell is `section`; every row below it
 * starts with the section's name.
 */
export function reportToCsv(r: DayReport): string {
  const rows: (string | number | null)[][] = []
  for (const t of reportTables(r)) {
    rows.push(['section', ...t.headings])
    for (const d of t.rows) rows.push([t.name, ...d])
  }
  return toCsv(rows)
}

type Cell = string | number | null

/** One table of the report: its name, heading row and rows, each table its own shape. */
export interface ReportTable {
  name: string
  headings: string[]
  rows: Cell[][]
}

const toCsv = (rows: Cell[][]): string => rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'

/** The report as a zip of CSV files, one per table, each with its own heading row: what a spreadsheet opens as it is. */
export function reportToCsvZip(r: DayReport): Buffer {
  return zipStored(reportTables(r).map((t) => ({ name: `smtp-report-${r.date}-${t.name}.csv`, data: Buffer.from(toCsv([t.headings, ...t.rows]), 'utf8') })))
}

export function reportTables(r: DayReport): ReportTable[] {
  const tables: ReportTable[] = []
  const section = (name: string, headings: string[], data: Cell[][]) => {
    tables.push({ name, headings, rows: data })
  }
  section('report', ['key', 'value'], [
    ['date', r.date],
    ['from', new Date(r.from).toISOString()],
    ['to', new Date(r.to).toISOString()],
    ['hours', r.hours.length],
    ['top', r.top],
    ['previous_date', r.previous.date],
  ])
  section(
    'totals',
    ['key', 'value', 'previous', 'change'],
    TOTAL_LINES.map(([key]) => [key, r.totals[key], r.previous.totals[key], r.change[key]]),
  )
  section(
    'hours',
    ['hour', 'start', 'utc_offset_min', 'received', 'delivered', 'deferred', 'bounced'],
    r.hours.map((h) => [h.hour, new Date(h.start).toISOString(), h.utcOffsetMin, h.received, h.delivered, h.deferred, h.bounced]),
  )
  section(
    'domains',
    ['domain', 'sent', 'bytes', 'defers', 'avg_delay_ms', 'max_delay_ms'],
    r.domains.map((d) => [d.domain, d.sent, d.bytes, d.defers, d.avgDelayMs, d.maxDelayMs]),
  )
  const list = (name: string, items: CountAndBytes[]) => section(name, ['address', 'count', 'bytes'], items.map((x) => [x.key, x.count, x.bytes]))
  list('senders_by_count', r.sendersByCount)
  list('recipients_by_count', r.recipientsByCount)
  list('senders_by_size', r.sendersBySize)
  list('recipients_by_size', r.recipientsBySize)
  for (const [name, detail] of [
    ['deferrals', r.deferralDetail],
    ['bounces', r.bounceDetail],
  ] as const) {
    section(
      `${name}_by_cause`,
      ['cause', 'count', 'summary', 'sample_reply'],
      detail.byCause.map((c) => [c.cause, c.count, c.summary, c.sample]),
    )
    section(
      `${name}_by_domain`,
      ['domain', 'cause', 'count'],
      detail.byDomain.flatMap((d) => d.causes.map((c) => [d.domain, c.cause, c.count])),
    )
  }
  section(
    'events',
    ['at', 'level', 'source', 'message'],
    r.events.map((e) => [new Date(e.at).toISOString(), e.level, e.source, e.message]),
  )
  return tables
}
