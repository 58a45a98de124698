// Log time stamps and report hours are local: one zone for both, set before any Date is made.
const zoneBefore = process.env.TZ
process.env.TZ = 'Europe/Paris'

import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/main/core/storage/db.ts'
import { reportToText } from '../../../src/main/core/reports/export-text.ts'
import { dayReport } from '../../../src/main/core/reports/day-report.ts'
import { removeDir, tempDir } from '../../helpers/engine.ts'
import { pflogsumm, PFLOGSUMM, postfixLogLines, type LoggedMessage } from '../../helpers/postfix.ts'

// Later files in the same worker get the zone they started with.
afterAll(() => {
  if (zoneBefore === undefined) delete process.env.TZ
  else process.env.TZ = zoneBefore
})

// The text export against pflogsumm itself: the same day, as the console's
// mail log and as Postfix's log, summarised by each. Where the figures are
// the same, the lines are the same, character for character.

const at = (h: number, m: number) => new Date(2026, 5, 10, h, m).getTime()

const DAY: LoggedMessage[] = [
  { queueId: 'A0000000001', sender: 'ops@alpha.test', size: 1000, arrival: at(9, 10), deliveries: [
    { to: 'r1@one.test', delayMs: 500, status: 'sent', reply: '250 2.0.0 Ok' },
    { to: 'r2@two.test', delayMs: 1500, status: 'sent', reply: '250 2.0.0 Ok' },
  ] },
  { queueId: 'A0000000002', sender: 'ops@alpha.test', size: 2500, arrival: at(9, 40), deliveries: [{ to: 'r1@one.test', delayMs: 2000, status: 'sent', reply: '250 2.0.0 Ok' }] },
  { queueId: 'A0000000003', sender: 'ops@alpha.test', size: 600_000, arrival: at(14, 5), deliveries: [
    { to: 'r1@one.test', delayMs: 800, status: 'sent', reply: '250 2.0.0 Ok' },
    { to: 'r3@three.test', delayMs: 1000, status: 'deferred', reply: '451 4.7.1 Greylisted, try again later' },
    { to: 'r3@three.test', delayMs: 301_000, status: 'sent', reply: '250 2.0.0 Ok' },
  ] },
  { queueId: 'A0000000004', sender: 'web@beta.test', size: 800, arrival: at(22, 30), deliveries: [{ to: 'r4@four.test', delayMs: 300, status: 'bounced', reply: '550 5.1.1 User unknown' }] },
  { queueId: 'A0000000005', sender: 'web@beta.test', size: 900, arrival: at(23, 10), deliveries: [{ to: 'r2@two.test', delayMs: 700, status: 'sent', reply: '250 2.0.0 Ok' }] },
]

/** Writes the day into the console's mail log as the engine does: a received row, then one row per attempt. */
function fill(db: DatabaseSync): void {
  const insert = db.prepare('INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
  for (const m of DAY) {
    insert.run(m.arrival, m.queueId, m.sender, [...new Set(m.deliveries.map((d) => d.to))].join(', '), 'received', null, null, null, null, m.size, null)
    for (const d of m.deliveries) {
      const cause = d.status === 'deferred' ? 'greylisted' : d.status === 'bounced' ? 'user-unknown' : null
      insert.run(m.arrival + d.delayMs, m.queueId, m.sender, d.to, d.status, 'relay.example.test[192.0.2.10]:25', d.delayMs, d.reply.split(' ')[1]!, d.reply, m.size, cause)
    }
  }
}

/** The lines of a section, from its title to the next blank line. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l === title)
  if (start < 0) return []
  const end = lines.findIndex((l, i) => i > start && l.trim() === '')
  return lines.slice(start, end < 0 ? undefined : end)
}

describe.skipIf(!existsSync(PFLOGSUMM))(`the text export in pflogsumm's layout${existsSync(PFLOGSUMM) ? '' : ` (skipped: ${PFLOGSUMM} is not installed, Debian package pflogsumm)`}`, () => {
  let dir: string
  let ours: string
  let theirs: string

  beforeAll(() => {
    expect(new Date(2026, 5, 10).getTimezoneOffset()).toBe(-120)
    dir = tempDir()
    const db = openDatabase(join(dir, 'queue.sqlite'))
    fill(db)
    ours = reportToText(dayReport(db, '2026-06-10', 20))
    db.close()
    const log = join(dir, 'maillog')
    writeFileSync(log, `${DAY.flatMap((m) => postfixLogLines(m)).join('\n')}\n`)
    theirs = pflogsumm(log, ['-h', '20', '-u', '20']).output
  })

  afterAll(() => removeDir(dir))

  it('prints the same Grand Totals lines', () => {
    for (const label of ['received', 'delivered', 'bounced', 'bytes received', 'bytes delivered', 'senders', 'sending hosts/domains']) {
      const line = (text: string) => text.split('\n').find((l) => new RegExp(`^ +\\d+[ km]  ${label}$`).test(l))
      expect(line(ours), label).toBeDefined()
      expect(line(ours), label).toBe(line(theirs))
    }
    expect(ours).toContain('      1   deferred  (1  deferrals)\n')
    expect(theirs).toContain('      1   deferred  (1  deferrals)\n')
    // Above 512 KiB, figures are shown in k, as pflogsumm does.
    expect(ours).toContain('    591k  bytes received\n')
    // pflogsumm's recipients are the addresses something was delivered to; the console's also those deferred or bounced (r4), and so their domains.
    expect(ours).toContain('      4   recipients\n')
    expect(theirs).toContain('      3   recipients\n')
    expect(ours).toContain('      4   recipient hosts/domains\n')
    expect(theirs).toContain('      3   recipient hosts/domains\n')
  })

  it('prints the same hour rows, without the rejected column', () => {
    const rows = (text: string) => text.split('\n').filter((l) => /^ {4}\d{4}-\d{4} /.test(l))
    expect(rows(ours)).toHaveLength(24)
    expect(rows(theirs)).toHaveLength(24)
    rows(ours).forEach((row, i) => expect(rows(theirs)[i]!.startsWith(row.trimEnd()), row).toBe(true))
    expect(rows(ours)[9]).toMatch(/^ {4}0900-1000 +2 +3 +0 +0 $/)
  })

  it('prints the same Host/Domain Summary and sender and recipient lists', () => {
    for (const title of [
      'Host/Domain Summary: Message Delivery (top 20)',
      'top 20 Senders by message count',
      'top 20 Recipients by message count',
      'top 20 Senders by message size',
      'top 20 Recipients by message size',
    ]) {
      expect(section(ours, title).length, title).toBeGreaterThan(2)
      expect(section(ours, title), title).toEqual(section(theirs, title))
    }
    expect(section(ours, 'Host/Domain Summary: Message Delivery (top 20)')).toContain('      1      585k       1     5.0 m    5.0 m  three.test')
  })
})
