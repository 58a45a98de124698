// Hour labels are local: a fixed zone with a DST change.
const zoneBefore = process.env.TZ
process.env.TZ = 'America/New_York'

import { afterAll, describe, expect, it } from 'vitest'
import { reportToCsv } from '../../../src/main/core/reports/export-csv.ts'
import { reportToText } from '../../../src/main/core/reports/export-text.ts'
import { dayBounds, localHours } from '../../../src/main/core/reports/day-report.ts'
import type { DayReport, ReportTotals } from '../../../src/shared/report.ts'

// Later files in the same worker get the zone they started with.
afterAll(() => {
  if (zoneBefore === undefined) delete process.env.TZ
  else process.env.TZ = zoneBefore
})

// The exports of a day's report: plain text in pflogsumm's layout and CSV,
// from a report made by hand so every edge shows (units, DST hours, quoting).

function totals(over: Partial<ReportTotals> = {}): ReportTotals {
  return {
    received: 0, delivered: 0, deferred: 0, deferrals: 0, bounced: 0, expired: 0, held: 0, deleted: 0,
    bytesReceived: 0, bytesDelivered: 0, senders: 0, recipients: 0, senderDomains: 0, recipientDomains: 0,
    ...over,
  }
}

function springForward(): DayReport {
  const { from, to } = dayBounds('2026-03-08')
  const hours = localHours(from, to).map((h, i) => ({ ...h, received: i === 1 ? 3 : 0, delivered: i === 1 ? 2 : 0, deferred: i === 2 ? 1 : 0, bounced: 0 }))
  const day = totals({ received: 3, delivered: 2, deferred: 1, deferrals: 1, bounced: 1, bytesReceived: 524_289, bytesDelivered: 600 * 1024 * 1024, senders: 1, recipients: 3, senderDomains: 1, recipientDomains: 2 })
  const before = totals({ received: 5, delivered: 5 })
  return {
    date: '2026-03-08',
    from,
    to,
    totals: day,
    sendersByCount: [{ key: 'alerts@example.test', count: 3, bytes: 524_289 }],
    recipientsByCount: [{ key: 'a@accept.test', count: 2, bytes: 2048 }],
    warnings: 1,
    errors: 0,
    top: 10,
    hours,
    domains: [{ domain: 'accept.test', sent: 2, bytes: 2048, defers: 1, avgDelayMs: 61_000, maxDelayMs: 3_601_000 }],
    sendersBySize: [{ key: 'alerts@example.test', count: 3, bytes: 524_289 }],
    recipientsBySize: [{ key: 'a@accept.test', count: 2, bytes: 2048 }],
    deferralDetail: {
      total: 1,
      byCause: [{ cause: 'greylisted', count: 1, summary: 'Greylisted, says "later"', fix: 'Wait.', sample: '451 4.7.1 later, "please"\r\nreally', domains: [{ domain: 'accept.test', count: 1 }] }],
      byDomain: [{ domain: 'accept.test', count: 1, causes: [{ cause: 'greylisted', count: 1 }] }],
    },
    bounceDetail: { total: 0, byCause: [], byDomain: [] },
    events: [{ id: 7, at: new Date(2026, 2, 8, 4, 5, 6).getTime(), level: 'warning', source: 'delivery', message: 'ABC: a@accept.test deferred, later' }],
    eventLimit: 200,
    previous: { date: '2026-03-07', totals: before },
    change: Object.fromEntries(Object.keys(day).map((k) => [k, day[k as keyof ReportTotals] - before[k as keyof ReportTotals]])) as unknown as ReportTotals,
  }
}

/** A small RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  expect(quoted).toBe(false)
  expect(field).toBe('')
  return rows
}

describe('reportToText', () => {
  const text = reportToText(springForward())

  it("starts with pflogsumm's Grand Totals block, with k and m above 512 of the unit below", () => {
    expect(text).toContain('\nGrand Totals\n------------\nmessages\n\n')
    expect(text).toContain('      3   received\n      2   delivered\n      1   deferred  (1  deferrals)\n      1   bounced\n')
    // 524,289 bytes is just over 512 KiB; 600 MiB is over 512 MiB.
    expect(text).toContain('    512k  bytes received\n    600m  bytes delivered\n')
    expect(text).toContain('      1   sending hosts/domains\n')
    expect(text).toContain('no rejected count')
  })

  it('says the day has 23 hours and gives every hour row its UTC offset', () => {
    expect(text).toContain('(a daylight-saving day: 23 hours; each hour shows its UTC offset)')
    const rows = text.split('\n').filter((l) => /^ {4}\d{4}-\d{4} /.test(l))
    expect(rows).toHaveLength(23)
    expect(rows[1]).toBe('    0100-0200           3          2          0          0   UTC-05:00')
    expect(rows[2]).toBe('    0300-0400           0          0          1          0   UTC-04:00')
    expect(rows.some((r) => r.startsWith('    0200-0300'))).toBe(false)
  })

  it('prints delays in seconds, minutes and hours as pflogsumm does', () => {
    expect(text).toContain(' sent cnt  bytes   defers   avg dly max dly host/domain\n')
    expect(text).toContain('      2     2048        1     1.0 m    1.0 h  accept.test\n')
  })

  it('shows the change from the day before, and empty sections as none', () => {
    expect(text).toContain('\nChange from 2026-03-07\n----------------------\n')
    expect(text).toContain('     -2  received (was 5)\n')
    expect(text).toContain('     -3  delivered (was 5)\n')
    expect(text).toContain('\nmessage bounce detail (by cause): none\n')
    expect(text).toContain('\nErrors: none\n')
  })

  it('lists causes by their summary, never their id, with affected domains and a reply, and the warnings by source', () => {
    expect(text).toContain('\nmessage deferral detail (by cause)\n----------------------------------\n  Greylisted, says "later" (total: 1)\n')
    expect(text).toMatch(/\nmessage deferral detail \(by domain\)\n-+\n {2}\S+ \(total: 1\)\n +1 +Greylisted, says "later"\n/)
    expect(text).not.toContain('greylisted')
    expect(text).toContain('\nWarnings\n--------\n  delivery (total: 1)\n    04:05:06  ABC: a@accept.test deferred, later\n')
  })
})

describe('reportToCsv', () => {
  const csv = reportToCsv(springForward())
  const rows = parseCsv(csv)

  it('ends every record with CRLF and starts each section with its own heading row', () => {
    expect(csv.endsWith('\r\n')).toBe(true)
    const headings = rows.filter((r) => r[0] === 'section').map((r) => r.slice(1).join(','))
    expect(headings).toContain('key,value,previous,change')
    expect(headings).toContain('hour,start,utc_offset_min,received,delivered,deferred,bounced')
    expect(headings).toContain('domain,sent,bytes,defers,avg_delay_ms,max_delay_ms')
  })

  it('holds every figure, unrounded', () => {
    expect(rows).toContainEqual(['totals', 'bytesReceived', '524289', '0', '524289'])
    expect(rows).toContainEqual(['totals', 'received', '3', '5', '-2'])
    expect(rows.filter((r) => r[0] === 'hours')).toHaveLength(23)
    expect(rows).toContainEqual(['hours', '3', '2026-03-08T07:00:00.000Z', '-240', '0', '0', '1', '0'])
    expect(rows).toContainEqual(['domains', 'accept.test', '2', '2048', '1', '61000', '3601000'])
  })

  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(rows).toContainEqual(['deferrals_by_cause', 'greylisted', '1', 'Greylisted, says "later"', '451 4.7.1 later, "please"\r\nreally'])
    expect(csv).toContain('"Greylisted, says ""later"""')
    expect(rows).toContainEqual(['events', '2026-03-08T08:05:06.000Z', 'warning', 'delivery', 'ABC: a@accept.test deferred, later'])
  })
})
