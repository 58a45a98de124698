import { localDate } from '../shared/calendar.ts'
import type { Page } from '../shared/types.ts'

// Display rules shared by every page: local time, humanized sizes, counts with
// thousands separators, and the "51–100 of 12,408" position of a page.

const count = new Intl.NumberFormat('en-US')

export function formatCount(n: number): string {
  return count.format(n)
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** The workstation's local time, e.g. "2026-11-27 14:03:22". */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const d = new Date(ms)
  return `${localDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export { localDate, localDay } from '../shared/calendar.ts'


/** Delivery delay, compact for a narrow column: "0.9 s", "36 s", "6m 44s", "3h 01m", "2d 03h". */
export function formatDelay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const s = ms / 1000
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 60) return `${Math.floor(s)} s`
  const whole = Math.floor(s)
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`
  if (whole < 86400) return `${Math.floor(whole / 3600)}h ${pad(Math.floor((whole % 3600) / 60))}m`
  return `${Math.floor(whole / 86400)}d ${pad(Math.floor((whole % 86400) / 3600))}h`
}

/** "51–100 of 12,408"; "of more than 10,000" when the engine stopped counting. */
export function positionText(page: Page<unknown>): string {
  if (page.items.length === 0) return page.total === 0 ? 'No entries' : `0 of ${formatCount(page.total)}`
  const first = page.position + 1
  const last = page.position + page.items.length
  const of = page.totalExact ? `of ${formatCount(page.total)}` : `of more than ${formatCount(page.total)}`
  return `${formatCount(first)}–${formatCount(last)} ${of}`
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}
