// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { formatBytes } from '../../src/shared/format.ts'
import { formatDelay, formatTime, localDay, positionText } from '../../src/renderer/format.ts'

describe('display rules', () => {
  it('writes local times as YYYY-MM-DD HH:MM:SS', () => {
    const at = new Date(2026, 10, 27, 14, 3, 22).getTime()
    expect(formatTime(at)).toBe('2026-11-27 14:03:22')
    expect(formatTime(null)).toBe('—')
  })

  it('humanizes sizes', () => {
    expect(formatBytes(812)).toBe('812 B')
    expect(formatBytes(4300)).toBe('4.2 KiB')
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MiB')
  })

  it('writes delays in seconds, then minutes and hours', () => {
    expect(formatDelay(860)).toBe('0.9 s')
    expect(formatDelay(59_999)).toBe('59 s')
    expect(formatDelay(125_000)).toBe('2m 05s')
    expect(formatDelay(3 * 3600_000 + 60_000)).toBe('3h 01m')
    expect(formatDelay(2 * 86_400_000 + 3 * 3600_000)).toBe('2d 03h')
  })

  it('says where a page is among all rows', () => {
    const page = (position: number, count: number, total: number, totalExact = true) => ({
      items: Array.from({ length: count }, () => 0),
      total,
      totalExact,
      position,
      nextCursor: null,
      prevCursor: null,
    })
    expect(positionText(page(50, 50, 12_408))).toBe('51–100 of 12,408')
    expect(positionText(page(0, 50, 10_000, false))).toBe('1–50 of more than 10,000')
    expect(positionText(page(0, 0, 0))).toBe('No entries')
  })

  it('counts report days by the calendar, not by 24 hours', () => {
    const afterMidnight = new Date(2026, 2, 1, 0, 30)
    expect(localDay(0, afterMidnight)).toBe('2026-03-01')
    expect(localDay(-1, afterMidnight)).toBe('2026-02-28')
  })
})
