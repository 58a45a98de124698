import type { CountAndBytes, DayReport, HourTraffic, ProblemDetail, ReportEvent, ReportTotals } from '../../../shared/report.ts'

// A day's report as text in pflogsumm's layout (the sections, headings and
// number columns admins already read).

const ONE_K = 1024
const ONE_MEG = 1024 * 1024

/** pflogsumm's figure: in k or m above 512 of the unit below, followed by the unit or a space. */
function units(value: number): string {
  if (value > 512 * ONE_MEG) return `${Math.trunc(value / ONE_MEG)}m`
  if (value > 512 * ONE_K) return `${Math.trunc(value / ONE_K)}k`
  return `${Math.trunc(value)} `
}

/** pflogsumm's integer column, six wide. */
function int(value: number): string {
  return units(value).padStart(7)
}

/** pflogsumm's delay column: seconds, minutes above 60 s, hours above an hour. */
function delay(ms: number): string {
  let value = ms / 1000
  let unit = 's'
  if (value > 3600) {
    value /= 3600
    unit = 'h'
  } else if (value > 60) {
    value /= 60
    unit = 'm'
  }
  return `${value.toFixed(1).padStart(5)} ${unit}`
}

function title(text: string): string {
  return `\n${text}\n${'-'.repeat(text.length)}\n`
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

function hourLabel(h: HourTraffic): string {
  return `${String(h.hour).padStart(2, '0')}00-${String(h.hour + 1).padStart(2, '0')}00`
}

function clock(at: number): string {
  const t = new Date(at)
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

function userList(out: string[], heading: string, rows: CountAndBytes[], value: (r: CountAndBytes) => number): void {
  if (rows.length === 0) {
    out.push(`\n${heading}: none\n`)
    return
  }
  out.push(`\n${heading}\n${'-'.repeat(heading.length)}\n`)
  for (const r of rows) out.push(` ${int(value(r))}  ${r.key}\n`)
}

function problemSections(out: string[], name: string, detail: ProblemDetail): void {
  const byCause = `${name} (by cause)`
  if (detail.byCause.length === 0) {
    out.push(`\n${byCause}: none\n`)
  } else {
    out.push(`\n${byCause}\n${'-'.repeat(byCause.length)}\n`)
    for (const c of detail.byCause) {
      // The decoder's sentence, not its id: the file is read by admins.
      out.push(`  ${c.summary} (total: ${c.count})\n`)
      for (const d of c.domains) out.push(`    ${int(d.count)}  ${d.domain}\n`)
      if (c.sample) out.push(`    reply: ${c.sample}\n`)
    }
  }
  const byDomain = `${name} (by domain)`
  if (detail.byDomain.length === 0) {
    out.push(`\n${byDomain}: none\n`)
  } else {
    out.push(`\n${byDomain}\n${'-'.repeat(byDomain.length)}\n`)
    const summaries = new Map(detail.byCause.map((c) => [c.cause, c.summary]))
    for (const d of detail.byDomain) {
      out.push(`  ${d.domain} (total: ${d.count})\n`)
      for (const c of d.causes) out.push(`    ${int(c.count)}  ${summaries.get(c.cause) ?? c.cause}\n`)
    }
  }
}

function eventSection(out: string[], heading: string, total: number, events: ReportEvent[]): void {
  if (total === 0) {
    out.push(`\n${heading}: none\n`)
    return
  }
  out.push(`\n${heading}\n${'-'.repeat(heading.length)}\n`)
  const bySource = new Map<string, ReportEvent[]>()
  for (const e of events) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e])
  for (const [source, list] of [...bySource].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`  ${source} (total: ${list.length})\n`)
    for (const e of list) out.push(`    ${clock(e.at)}  ${e.message}\n`)
  }
  if (events.length < total) out.push(`  (${total - events.length} earlier not shown)\n`)
}

/** The totals' lines in pflogsumm's words, in its order; the CSV names its rows by them too. */
export const TOTAL_LINES: [keyof ReportTotals, string][] = [
  ['received', 'received'],
  ['delivered', 'delivered'],
  ['deferred', 'deferred'],
  ['deferrals', 'deferrals'],
  ['bounced', 'bounced'],
  ['expired', 'expired'],
  ['held', 'held'],
  ['deleted', 'deleted'],
  ['bytesReceived', 'bytes received'],
  ['bytesDelivered', 'bytes delivered'],
  ['senders', 'senders'],
  ['senderDomains', 'sending hosts/domains'],
  ['recipients', 'recipients'],
  ['recipientDomains', 'recipient hosts/domains'],
]

export function reportToText(r: DayReport): string {
  const t = r.totals
  const out: string[] = []
  const hours = r.hours.length
  out.push(`SMTP Console log summaries for ${r.date}\n`)
  if (hours !== 24) out.push(`(a daylight-saving day: ${hours} hours; each hour shows its UTC offset)\n`)

  out.push(title('Grand Totals'))
  out.push('messages\n\n')
  out.push(` ${int(t.received)}  received\n`)
  out.push(` ${int(t.delivered)}  delivered\n`)
  out.push(` ${int(t.deferred)}  deferred${t.deferrals ? `  (${units(t.deferrals)} deferrals)` : ''}\n`)
  out.push(` ${int(t.bounced)}  bounced\n`)
  out.push(` ${int(t.expired)}  expired\n`)
  out.push(` ${int(t.held)}  held\n`)
  out.push(` ${int(t.deleted)}  deleted\n`)
  out.push('\n')
  out.push(` ${int(t.bytesReceived)}  bytes received\n`)
  out.push(` ${int(t.bytesDelivered)}  bytes delivered\n`)
  out.push(` ${int(t.senders)}  senders\n`)
  out.push(` ${int(t.senderDomains)}  sending hosts/domains\n`)
  out.push(` ${int(t.recipients)}  recipients\n`)
  out.push(` ${int(t.recipientDomains)}  recipient hosts/domains\n`)
  out.push('\n(no rejected count: the console refuses invalid mail before it is queued, so none is logged)\n')

  out.push(title(`Change from ${r.previous.date}`))
  for (const [key, label] of TOTAL_LINES) {
    const change = r.change[key]
    out.push(` ${(change > 0 ? `+${change}` : String(change)).padStart(7)}  ${label} (was ${r.previous.totals[key]})\n`)
  }

  out.push(title('Per-Hour Traffic Summary'))
  out.push('    time          received  delivered   deferred    bounced\n')
  out.push('    -------------------------------------------------------\n')
  for (const h of r.hours) {
    const values = [h.received, h.delivered, h.deferred, h.bounced].map((v) => `    ${int(v)}`).join('')
    out.push(`    ${hourLabel(h)}  ${values}${hours !== 24 ? `  ${offsetText(h.utcOffsetMin)}` : ''}\n`)
  }

  out.push(title(`Host/Domain Summary: Message Delivery (top ${r.top})`))
  out.push(' sent cnt  bytes   defers   avg dly max dly host/domain\n')
  out.push(' -------- -------  -------  ------- ------- -----------\n')
  for (const d of r.domains) out.push(` ${int(d.sent)}  ${int(d.bytes)}  ${int(d.defers)}  ${delay(d.avgDelayMs)}  ${delay(d.maxDelayMs)}  ${d.domain}\n`)

  userList(out, `top ${r.top} Senders by message count`, r.sendersByCount, (x) => x.count)
  userList(out, `top ${r.top} Recipients by message count`, r.recipientsByCount, (x) => x.count)
  userList(out, `top ${r.top} Senders by message size`, r.sendersBySize, (x) => x.bytes)
  userList(out, `top ${r.top} Recipients by message size`, r.recipientsBySize, (x) => x.bytes)

  problemSections(out, 'message deferral detail', r.deferralDetail)
  problemSections(out, 'message bounce detail', r.bounceDetail)

  eventSection(out, 'Warnings', r.warnings, r.events.filter((e) => e.level === 'warning'))
  eventSection(out, 'Errors', r.errors, r.events.filter((e) => e.level === 'error'))
  return out.join('')
}
