import type { DatabaseSync } from 'node:sqlite'
import { addDays, DAY_FORMAT, localDate, localMidnight } from '../../../shared/calendar.ts'
import type {
  CauseGroup,
  CountAndBytes,
  DayReport,
  DomainDelivery,
  DomainProblems,
  HourTraffic,
  ProblemDetail,
  ReportEvent,
  ReportTotals,
} from '../../../shared/report.ts'
import { explainCause } from '../errors/decoder.ts'
import { topBy } from './top.ts'
import { DELIVERY_STATUSES, fillSlotsSql, KEYED_STATUSES, rollupTables, SLOT_MS, STATUS_SUMS_FROM_LOG, sumDayFromLogSql } from './rollup.ts'

// Kept where the benchmark and other callers find them; they live in shared/calendar.ts.
export { addDays, localDate }

// A day's report from the mail log and the event log. Days are the
// workstation's local calendar days, so a DST day is 23 or 25 hours long.
//
// A day of a million deliveries is too much to aggregate from the log at
// each request, so two rollup tables, kept by triggers in the same
// transaction as each mail-log row, hold the day already summed: per UTC
// quarter hour and status (hours and totals, whatever the time zone), and
// per local day, status and address (top lists, distinct counts, domains).
// The local day of a row is fixed when it is written; if the zone changes
// later, the two tables disagree for that day and the day is summed again
// from the log. Without the rollup tables (an older database), the same
// sums are made from the log into scratch tables. The tables, triggers and
// bulk SQL are defined once, in reports/rollup.ts.

const HOUR_MS = 3_600_000
const DEFAULT_EVENT_LIMIT = 200

export interface DayReportOptions {
  /** How many of the day's warnings and errors to include, the latest (default 200). */
  eventLimit?: number
  /** Sum the day from the mail log itself, not the rollup tables (slow; the reference for checks). */
  fromLog?: boolean
}

interface Tables {
  slots: string
  keys: string
  /** The rollup kept by triggers, or scratch tables filled for this request. */
  kept: boolean
}

const KEPT: Tables = { slots: 'main.report_slots', keys: 'main.report_keys', kept: true }
const SCRATCH: Tables = { slots: 'temp.scratch_report_slots', keys: 'temp.scratch_report_keys', kept: false }

/** A day the admin asked a report for that is not on the calendar. */
export class NotACalendarDay extends Error {
  override name = 'NotACalendarDay'
}

/** Local midnight of the given day (YYYY-MM-DD, 0001-01-01 to 9999-12-31) and of the next, in ms since the epoch. */
export function dayBounds(date: string): { from: number; to: number } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const start = localMidnight(y, m, d)
  if (!DAY_FORMAT.test(date) || y < 1 || start.getFullYear() !== y || start.getMonth() !== m - 1 || start.getDate() !== d) {
    throw new NotACalendarDay(`${date} is not a calendar day: give a day from 0001-01-01 to 9999-12-31 as YYYY-MM-DD.`)
  }
  return { from: start.getTime(), to: localMidnight(y, m, d + 1).getTime() }
}

/**
 * The local clock hours between two instants, each from one instant to the
 * next at which the local clock shows a whole hour. Stepping through instants
 * (not through wall-clock hours) keeps both copies of a repeated hour and
 * skips the hour a spring-forward day does not have.
 */
export function localHours(from: number, to: number): Pick<HourTraffic, 'hour' | 'start' | 'end' | 'utcOffsetMin'>[] {
  const out: Pick<HourTraffic, 'hour' | 'start' | 'end' | 'utcOffsetMin'>[] = []
  for (let t = from; t < to; ) {
    let next = t + HOUR_MS
    for (let m = 1; m <= 120; m++) {
      if (new Date(t + m * 60_000).getMinutes() === 0) {
        next = t + m * 60_000
        break
      }
    }
    const start = new Date(t)
    const end = Math.min(next, to)
    out.push({ hour: start.getHours(), start: t, end, utcOffsetMin: -start.getTimezoneOffset() })
    t = end
  }
  return out
}

function hasRollup(db: DatabaseSync): boolean {
  const n = db.prepare("SELECT count(*) AS n FROM main.sqlite_schema WHERE type = 'table' AND name IN ('report_slots', 'report_keys')").get() as { n: number }
  return n.n === 2
}

const aligned = (t: number) => t % SLOT_MS === 0

interface StatusSum {
  n: number
  bytes: number
  /** Sum of the rows' times in seconds: tells one set of rows from another of the same size. */
  atSum: number
}

/** Rows and bytes per status between two instants: from the slots when the range falls on quarter hours, else from the log. */
function statusSums(db: DatabaseSync, t: Tables, from: number, to: number): Map<string, StatusSum> {
  const rows =
    aligned(from) && aligned(to)
      ? db.prepare(`SELECT status, sum(n) AS n, sum(bytes) AS bytes, sum(at_sum) AS atSum FROM ${t.slots} WHERE slot >= ? AND slot < ? GROUP BY status`).all(from / SLOT_MS, to / SLOT_MS)
      : db.prepare(STATUS_SUMS_FROM_LOG).all(from, to)
  return new Map((rows as { status: string; n: number; bytes: number; atSum: number }[]).map((r) => [r.status, { n: r.n, bytes: r.bytes, atSum: r.atSum }]))
}

/** Sums one day of the log into key rows, replacing what the table held for that day. */
function sumDayFromLog(db: DatabaseSync, t: Tables, day: string, from: number, to: number): void {
  db.prepare(`DELETE FROM ${t.keys} WHERE day = ?`).run(day)
  for (const sql of sumDayFromLogSql(t.keys)) db.prepare(sql).run(day, from, to)
}

/**
 * Makes the key rows of a day agree with the slots (and so with the log);
 * sums the day again when they do not. Counts alone are not enough: after a
 * change of zone, rows that left the day and rows that came in can be as
 * many, so the sums of their times are compared too.
 */
function ensureDay(db: DatabaseSync, t: Tables, day: string, from: number, to: number): void {
  const all = statusSums(db, t, from, to)
  const expected = new Map([...all].filter(([status]) => (KEYED_STATUSES as readonly string[]).includes(status)))
  const held = db.prepare(`SELECT status, sum(n) AS n, sum(at_sum) AS atSum FROM ${t.keys} WHERE day = ? AND kind = 'addr' GROUP BY status`).all(day) as {
    status: string
    n: number
    atSum: number
  }[]
  const agree =
    held.length === [...expected.values()].filter((s) => s.n > 0).length &&
    held.every((r) => expected.get(r.status)?.n === r.n && expected.get(r.status)?.atSum === r.atSum)
  if (agree) return
  db.exec('SAVEPOINT report_day')
  try {
    sumDayFromLog(db, t, day, from, to)
    db.exec('RELEASE report_day')
  } catch (err) {
    db.exec('ROLLBACK TO report_day')
    db.exec('RELEASE report_day')
    throw err
  }
}

function prepareScratch(db: DatabaseSync, days: { day: string; from: number; to: number }[]): void {
  db.exec(rollupTables('temp.scratch_'))
  db.exec(`DELETE FROM ${SCRATCH.slots}; DELETE FROM ${SCRATCH.keys};`)
  const from = Math.min(...days.map((d) => d.from))
  const to = Math.max(...days.map((d) => d.to))
  db.prepare(fillSlotsSql(SCRATCH.slots, true)).run(from, to)
  for (const d of days) sumDayFromLog(db, SCRATCH, d.day, d.from, d.to)
}

/** The domain of an address, as the queue groups it: after the last '@', lower case. */
function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase()
}

interface AddrRow {
  status: string
  key: string
  n: number
  bytes: number
  delaySum: number
  delayMax: number
}

function addrRows(db: DatabaseSync, t: Tables, day: string, statuses: readonly string[]): AddrRow[] {
  const stmt = db.prepare(
    `SELECT status, key, n, bytes, delay_sum, delay_max FROM ${t.keys} WHERE day = ? AND kind = 'addr' AND status IN (${statuses.map(() => '?').join(', ')})`,
  )
  stmt.setReturnArrays(true)
  const rows = stmt.all(day, ...statuses) as unknown as [string, string, number, number, number, number][]
  return rows.map(([status, key, n, bytes, delaySum, delayMax]) => ({ status, key, n, bytes, delaySum, delayMax }))
}

function countKeys(db: DatabaseSync, t: Tables, day: string, kind: string, status: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${t.keys} WHERE day = ? AND kind = ? AND status = ?`).get(day, kind, status) as { n: number }).n
}

interface DaySums {
  totals: ReportTotals
  senders: CountAndBytes[]
  recipients: CountAndBytes[]
  domains: DomainDelivery[]
}

function sumDay(db: DatabaseSync, t: Tables, day: string, from: number, to: number, detail: boolean): DaySums {
  if (t.kept) ensureDay(db, t, day, from, to)
  const sums = statusSums(db, t, from, to)
  const n = (status: string) => sums.get(status)?.n ?? 0
  const bytes = (status: string) => sums.get(status)?.bytes ?? 0

  const received = addrRows(db, t, day, ['received'])
  const outcomes = addrRows(db, t, day, DELIVERY_STATUSES)
  const recipients = new Set<string>()
  const recipientDomains = new Set<string>()
  const senderDomains = new Set<string>()
  for (const r of received) senderDomains.add(domainOf(r.key))
  const byDomain = new Map<string, DomainDelivery & { delaySum: number }>()
  const delivered: CountAndBytes[] = []
  for (const r of outcomes) {
    recipients.add(r.key)
    const domain = domainOf(r.key)
    recipientDomains.add(domain)
    if (!detail || (r.status !== 'sent' && r.status !== 'deferred')) continue
    let d = byDomain.get(domain)
    if (!d) byDomain.set(domain, (d = { domain, sent: 0, bytes: 0, defers: 0, avgDelayMs: 0, maxDelayMs: 0, delaySum: 0 }))
    if (r.status === 'sent') {
      d.sent += r.n
      d.bytes += r.bytes
      d.delaySum += r.delaySum
      delivered.push({ key: r.key, count: r.n, bytes: r.bytes })
    } else {
      d.defers += r.n
    }
    d.maxDelayMs = Math.max(d.maxDelayMs, r.delayMax)
  }

  const totals: ReportTotals = {
    received: n('received'),
    delivered: n('sent'),
    deferred: countKeys(db, t, day, 'queue', 'deferred'),
    deferrals: n('deferred'),
    bounced: n('bounced'),
    expired: n('expired'),
    held: countKeys(db, t, day, 'queue', 'held'),
    deleted: n('deleted'),
    bytesReceived: bytes('received'),
    bytesDelivered: bytes('sent'),
    senders: received.length,
    recipients: recipients.size,
    senderDomains: senderDomains.size,
    recipientDomains: recipientDomains.size,
  }
  const domains = [...byDomain.values()].map(({ delaySum, ...d }) => ({ ...d, avgDelayMs: d.sent ? Math.round(delaySum / d.sent) : 0 }))
  return {
    totals,
    senders: received.map((r) => ({ key: r.key, count: r.n, bytes: r.bytes })),
    recipients: delivered,
    domains,
  }
}

function hourTraffic(db: DatabaseSync, t: Tables, from: number, to: number): HourTraffic[] {
  const hours = localHours(from, to).map((h) => ({ ...h, received: 0, delivered: 0, deferred: 0, bounced: 0 }))
  const add = (h: HourTraffic, status: string, n: number) => {
    if (status === 'received') h.received += n
    else if (status === 'sent') h.delivered += n
    else if (status === 'deferred') h.deferred += n
    else if (status === 'bounced') h.bounced += n
  }
  const slots = db.prepare(`SELECT slot, status, n FROM ${t.slots} WHERE slot >= ? AND slot < ?`).all(Math.ceil(from / SLOT_MS), Math.floor(to / SLOT_MS)) as {
    slot: number
    status: string
    n: number
  }[]
  let i = 0
  for (const s of slots.sort((a, b) => a.slot - b.slot)) {
    const at = s.slot * SLOT_MS
    while (i < hours.length && hours[i]!.end <= at) i++
    const h = hours[i]
    if (h && aligned(h.start) && aligned(h.end)) add(h, s.status, s.n)
  }
  // Hours that do not fall on quarter hours (no zone has them today) are counted from the log.
  for (const h of hours) {
    if (aligned(h.start) && aligned(h.end)) continue
    for (const r of db.prepare('SELECT status, count(*) AS n FROM mail_log WHERE at >= ? AND at < ? GROUP BY status').all(h.start, h.end) as { status: string; n: number }[]) {
      add(h, r.status, r.n)
    }
  }
  return hours
}

function problems(db: DatabaseSync, t: Tables, day: string, statuses: string[], top: number): ProblemDetail {
  const rows = db
    .prepare(`SELECT key, n, sample FROM ${t.keys} WHERE day = ? AND kind = 'cause' AND status IN (${statuses.map(() => '?').join(', ')})`)
    .all(day, ...statuses) as { key: string; n: number; sample: string | null }[]
  const causes = new Map<string, { count: number; sample: string | null; domains: Map<string, number> }>()
  const domains = new Map<string, { count: number; causes: Map<string, number> }>()
  let total = 0
  for (const r of rows) {
    const tab = r.key.indexOf('\t')
    const cause = r.key.slice(0, tab) || 'unknown'
    const domain = domainOf(r.key.slice(tab + 1))
    total += r.n
    let c = causes.get(cause)
    if (!c) causes.set(cause, (c = { count: 0, sample: null, domains: new Map() }))
    c.count += r.n
    c.sample ??= r.sample
    c.domains.set(domain, (c.domains.get(domain) ?? 0) + r.n)
    let d = domains.get(domain)
    if (!d) domains.set(domain, (d = { count: 0, causes: new Map() }))
    d.count += r.n
    d.causes.set(cause, (d.causes.get(cause) ?? 0) + r.n)
  }
  const counted = (m: Map<string, number>) => topBy([...m].map(([key, count]) => ({ key, count })), top, (x) => x.count)
  const byCause: CauseGroup[] = topBy([...causes].map(([key, v]) => ({ key, ...v })), top, (x) => x.count).map((c) => {
    const explanation = c.key === 'unknown' ? null : explainCause(c.key)
    return {
      cause: c.key,
      count: c.count,
      summary: explanation?.summary ?? (c.key === 'unknown' ? 'No cause was recorded.' : `A cause this version does not know (${c.key}).`),
      fix: explanation?.fix ?? 'Read the server reply in the Mail Log.',
      sample: c.sample,
      domains: counted(c.domains).map((d) => ({ domain: d.key, count: d.count })),
    }
  })
  const byDomain: DomainProblems[] = topBy([...domains].map(([key, v]) => ({ key, ...v })), top, (x) => x.count).map((d) => ({
    domain: d.key,
    count: d.count,
    causes: counted(d.causes).map((c) => ({ cause: c.key, count: c.count })),
  }))
  return { total, byCause, byDomain }
}

function dayEvents(db: DatabaseSync, from: number, to: number, limit: number): { events: ReportEvent[]; warnings: number; errors: number } {
  const counts = db.prepare("SELECT level, count(*) AS n FROM events WHERE at >= ? AND at < ? AND level IN ('warning', 'error') GROUP BY level").all(from, to) as {
    level: string
    n: number
  }[]
  const events = (
    db
      .prepare("SELECT id, at, level, source, message FROM events WHERE at >= ? AND at < ? AND level IN ('warning', 'error') ORDER BY at DESC, id DESC LIMIT ?")
      .all(from, to, limit) as unknown as ReportEvent[]
  ).reverse()
  return {
    events: events.map((e) => ({ id: e.id, at: e.at, level: e.level, source: e.source, message: e.message })),
    warnings: counts.find((c) => c.level === 'warning')?.n ?? 0,
    errors: counts.find((c) => c.level === 'error')?.n ?? 0,
  }
}

function difference(a: ReportTotals, b: ReportTotals): ReportTotals {
  const out = { ...a }
  for (const k of Object.keys(out) as (keyof ReportTotals)[]) out[k] = a[k] - b[k]
  return out
}

export function dayReport(db: DatabaseSync, date: string, top: number, options: DayReportOptions = {}): DayReport {
  const { from, to } = dayBounds(date)
  const previousDate = addDays(date, -1)
  // Derived, not given: the day before 0001-01-01 is in year 0, which dayBounds refuses as input.
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const previous = { from: localMidnight(y, m, d - 1).getTime(), to: from }
  const useLog = options.fromLog === true || !hasRollup(db)
  const t = useLog ? SCRATCH : KEPT
  if (useLog) {
    prepareScratch(db, [
      { day: date, from, to },
      { day: previousDate, ...previous },
    ])
  }
  try {
    const day = sumDay(db, t, date, from, to, true)
    const before = sumDay(db, t, previousDate, previous.from, previous.to, false)
    const eventLimit = options.eventLimit ?? DEFAULT_EVENT_LIMIT
    const events = dayEvents(db, from, to, eventLimit)
    return {
      date,
      from,
      to,
      totals: day.totals,
      sendersByCount: topBy(day.senders, top, (x) => x.count),
      recipientsByCount: topBy(day.recipients, top, (x) => x.count),
      warnings: events.warnings,
      errors: events.errors,
      top,
      hours: hourTraffic(db, t, from, to),
      // As pflogsumm orders them: by deliveries, then bytes.
      domains: topBy(day.domains, top, (d) => d.sent, (d) => d.domain, (d) => d.bytes),
      sendersBySize: topBy(day.senders, top, (x) => x.bytes),
      recipientsBySize: topBy(day.recipients, top, (x) => x.bytes),
      deferralDetail: problems(db, t, date, ['deferred'], top),
      bounceDetail: problems(db, t, date, ['bounced', 'expired'], top),
      events: events.events,
      eventLimit,
      previous: { date: previousDate, totals: before.totals },
      change: difference(day.totals, before.totals),
    }
  } finally {
    if (useLog) db.exec(`DELETE FROM ${SCRATCH.slots}; DELETE FROM ${SCRATCH.keys};`)
  }
}
