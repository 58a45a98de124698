// Calendar days on the workstation's clock, as the reports count them and the
// Day field picks them: YYYY-MM-DD, stepped by calendar day so a daylight-saving
// change never skips or repeats a day.

/** A day as the API and the Day field take it. */
export const DAY_FORMAT = /^\d{4}-\d{2}-\d{2}$/

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** YYYY-MM-DD of the local day at `at`, the year in four digits as SQLite's date() writes it. */
export function localDate(at: number | Date): string {
  const t = new Date(at)
  return `${pad(t.getFullYear(), 4)}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`
}

/** Local midnight of a day. Date's constructor reads years 0-99 as 1900-1999; setFullYear takes them as they are. */
export function localMidnight(y: number, m: number, d: number): Date {
  const t = new Date(2000, 0, 1)
  t.setFullYear(y, m - 1, d)
  return t
}

/** The local calendar day `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return localDate(localMidnight(y, m, d + days))
}

/** The local day `offset` days from `now` (0 today, -1 yesterday). */
export function localDay(offset: number, now: Date = new Date()): string {
  return addDays(localDate(now), offset)
}
