import { describe, expect, it } from 'vitest'
import { addDays as reportsAddDays, localDate as reportsLocalDate } from '../../src/main/core/reports/day-report.ts'
import { localDate as pageLocalDate, localDay as pageLocalDay } from '../../src/renderer/format.ts'
import { addDays, DAY_FORMAT, localDate, localDay } from '../../src/shared/calendar.ts'

// Local calendar days, one implementation for the reports and the pages.

/** Local noon of a day, any year (Date's constructor would read 0-99 as 1900-1999). */
function noon(y: number, m: number, d: number): Date {
  const t = new Date(2000, 0, 1, 12)
  t.setFullYear(y, m - 1, d)
  return t
}

describe('shared/calendar.ts', () => {
  it('is what the reports and the pages use', () => {
    expect(reportsLocalDate).toBe(localDate)
    expect(reportsAddDays).toBe(addDays)
    expect(pageLocalDate).toBe(localDate)
    expect(pageLocalDay).toBe(localDay)
  })

  it('steps by calendar day across month, year and leap days, in any year', () => {
    expect(localDay(0, noon(2026, 3, 1))).toBe('2026-03-01')
    expect(localDay(-1, noon(2026, 3, 1))).toBe('2026-02-28')
    expect(localDay(-1, noon(2024, 3, 1))).toBe('2024-02-29')
    expect(localDay(1, noon(2026, 12, 31))).toBe('2027-01-01')
    // The pages once stepped through Date's constructor, which put year 50's yesterday in 1949.
    expect(localDay(-1, noon(50, 1, 1))).toBe('0049-12-31')
    expect(addDays('0050-01-01', -1)).toBe('0049-12-31')
    expect(localDate(noon(9999, 12, 31).getTime())).toBe('9999-12-31')
  })

  it('takes days as YYYY-MM-DD only', () => {
    for (const day of ['2026-03-01', '0001-01-01']) expect(DAY_FORMAT.test(day), day).toBe(true)
    for (const day of ['2026-3-1', '26-03-01', '2026-03-01T00:00', ' 2026-03-01']) expect(DAY_FORMAT.test(day), day).toBe(false)
  })
})
