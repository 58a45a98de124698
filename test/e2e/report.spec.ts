import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { formatBytes } from '../../src/shared/format.ts'
import { formatCount, localDay } from '../../src/renderer/format.ts'
import type { DayReport, ReportTotals } from '../../src/shared/report.ts'
import { test, expect, type ConsoleServer } from './fixtures.ts'
import { menu, startRelay, type Relay } from './relay.ts'

// Today's and Yesterday's Report in Chromium, after real traffic through a
// relay on loopback that accepts every recipient but one, refused with 550.

const REFUSED = 'nobody@example.net'
const ACCEPTED = ['ops@example.net', 'helpdesk@example.net', 'jane.smith@example.org', 'storage@example.org']

async function sendTraffic(consoleServer: ConsoleServer, relay: Relay): Promise<void> {
  const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await consoleServer.api('settings.update', {
    settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: relay.port, useTls: false },
  })
  for (const to of [...ACCEPTED.slice(0, 2), REFUSED, ...ACCEPTED.slice(2)]) await consoleServer.api('mail.sendTest', { to })
}

const LINES: [keyof ReportTotals, string, boolean?][] = [
  ['received', 'Received'],
  ['delivered', 'Delivered'],
  ['deferred', 'Deferred'],
  ['deferrals', 'Deferrals'],
  ['bounced', 'Bounced'],
  ['expired', 'Expired'],
  ['held', 'Held'],
  ['deleted', 'Deleted'],
  ['bytesReceived', 'Bytes received', true],
  ['bytesDelivered', 'Bytes delivered', true],
  ['senders', 'Senders'],
  ['senderDomains', 'Sending domains'],
  ['recipients', 'Recipients'],
  ['recipientDomains', 'Recipient domains'],
]

test("Today's Report shows the day's traffic as the API counts it; Yesterday's is empty; Export text downloads the summary", async ({ page, consoleServer }) => {
  const relay = await startRelay(0, { refuse: { address: REFUSED, reply: `5.1.1 <${REFUSED}>: Recipient address rejected: User unknown in virtual mailbox table` } })
  try {
    const today = localDay(0)
    await sendTraffic(consoleServer, relay)
    const day = () => consoleServer.api<DayReport>('reports.day', { date: today, top: 20 })
    await expect.poll(async () => (await day()).totals, { timeout: 30_000 }).toMatchObject({ received: 5, delivered: 4, bounced: 1 })
    expect(relay.received.flatMap((m) => m.to).sort()).toEqual([...ACCEPTED].sort())
    const report = await day()

    await page.goto(consoleServer.url)
    await menu(page, "Today's Report").click()
    await expect(page.getByRole('heading', { level: 1, name: "Today's Report" })).toBeVisible()
    await expect(page.getByLabel('Day', { exact: true })).toHaveValue(today)
    await expect(page.getByLabel('Top', { exact: true })).toHaveValue('20')

    const totals = page.getByRole('region', { name: 'Grand totals' })
    for (const [key, label, bytes] of LINES) {
      const row = totals.getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) })
      await expect(row.getByRole('cell').first(), label).toHaveText(bytes ? formatBytes(report.totals[key]) : formatCount(report.totals[key]))
    }
    // Nothing happened the day before, so each change is the day's own figure.
    await expect(totals.getByRole('row').filter({ hasText: 'Delivered' }).getByRole('cell').nth(1)).toHaveText('+44 more than the day before')

    const chart = page.getByRole('img', { name: 'Per-hour traffic chart' })
    await expect(chart).toBeVisible()
    const groups = chart.locator('g.hour-bars')
    await expect(groups).toHaveCount(report.hours.length)
    const busy = report.hours.findIndex((h) => h.delivered > 0)
    expect(report.hours[busy]).toMatchObject({ received: 5, delivered: 4, bounced: 1 })
    for (let i = 0; i < report.hours.length; i++) await expect(groups.nth(i).locator('rect')).toHaveCount(4)
    const height = async (series: string, i = busy) => Number(await groups.nth(i).locator(`rect.bar-${series}`).getAttribute('height'))
    expect(await height('received')).toBeGreaterThan(await height('delivered'))
    expect(await height('delivered')).toBeGreaterThan(await height('bounced'))
    expect(await height('bounced')).toBeGreaterThan(0)
    expect(await height('deferred')).toBe(0)
    const quiet = busy === 0 ? 1 : 0
    expect(await height('received', quiet)).toBe(0)
    const hourRow = page.getByRole('region', { name: 'Per-hour table' }).getByRole('row').nth(busy + 1)
    await expect(hourRow).toHaveText(new RegExp(`^${String(report.hours[busy]!.hour).padStart(2, '0')}:00–\\d\\d:005401$`))

    const recipients = page.getByRole('region', { name: 'Recipients by message count' })
    // Recipients are counted by delivery, as in pflogsumm: the refused address is not among them.
    expect(report.recipientsByCount.map((r) => r.key).sort()).toEqual([...ACCEPTED].sort())
    await expect(recipients.getByRole('row')).toHaveText(['RecipientMessagesBytes', ...report.recipientsByCount.map((r) => `${r.key}${formatCount(r.count)}${formatBytes(r.bytes)}`)])
    const bounces = page.getByRole('region', { name: 'Bounce detail' })
    await expect(bounces.getByText('1 recipient bounced or expired')).toBeVisible()
    await expect(bounces.getByText(report.bounceDetail.byCause[0]!.summary, { exact: true })).toBeVisible()
    await expect(bounces.getByText('example.net (1)')).toBeVisible()

    // Yesterday: the other day, and nothing in it.
    await menu(page, "Yesterday's Report").click()
    await expect(page.getByRole('heading', { level: 1, name: "Yesterday's Report" })).toBeVisible()
    await expect(page.getByLabel('Day', { exact: true })).toHaveValue(localDay(-1))
    await expect(page.locator('.lead strong')).toHaveText(localDay(-1))
    await expect(page.getByText('No mail activity on this day.', { exact: false })).toBeVisible()
    await expect(page.getByRole('img', { name: 'Per-hour traffic chart' })).toHaveCount(0)

    await menu(page, "Today's Report").click()
    await expect(page.getByLabel('Day', { exact: true })).toHaveValue(today)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export text' }).click()])
    expect(download.suggestedFilename()).toBe(`smtp-report-${today}.txt`)
    const text = readFileSync(await download.path(), 'utf8')
    expect(text).toContain(`SMTP Console log summaries for ${today}`)
    expect(text).toContain('Grand Totals')
    expect(text).toMatch(/^ +4 +delivered$/m)
    expect(text).toMatch(/^ +1 +bounced$/m)
    await expect(page.getByRole('status').filter({ hasText: 'Exported' })).toHaveText(`Exported smtp-report-${today}.txt.`)

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
    expect(csv.suggestedFilename()).toBe(`smtp-report-${today}-csv.zip`)
    // One file per table, each with its own heading row.
    const totalsCsv = execFileSync('unzip', ['-p', await csv.path(), `smtp-report-${today}-totals.csv`], { encoding: 'utf8' })
    expect(totalsCsv.startsWith('key,value,previous,change\r\n')).toBe(true)
    expect(totalsCsv).toContain('delivered,4,0,4\r\n')
  } finally {
    await relay.close()
  }
})

test('Copy to clipboard puts the text summary on the clipboard', async ({ page, context, consoleServer }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: consoleServer.origin })
  await page.goto(consoleServer.url)
  await menu(page, "Today's Report").click()
  await expect(page.getByText('No mail activity on this day.', { exact: false })).toBeVisible()
  await page.getByRole('button', { name: 'Copy to clipboard' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible()
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  expect(copied).toContain(`SMTP Console log summaries for ${localDay(0)}`)
  expect(copied).toMatch(/^ +0 +delivered$/m)
})

test('at 1920×1080 the per-hour table stays inside its card and the chart labels stay small', async ({ page, consoleServer }) => {
  const relay = await startRelay(0, {})
  try {
    await sendTraffic(consoleServer, relay)
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(consoleServer.url)
    await menu(page, "Today's Report").click()
    const card = page.getByRole('region', { name: 'Per-hour table' })
    await expect(card.getByRole('table')).toBeVisible()
    const [cardBox, tableBox] = [await card.boundingBox(), await card.getByRole('table').boundingBox()]
    expect(tableBox!.x + tableBox!.width).toBeLessThanOrEqual(cardBox!.x + cardBox!.width)
    // 11 px labels drawn at most about 1.2× (they were 20 px tall at this width).
    const label = await page.locator('.traffic-chart text.chart-hour').first().boundingBox()
    expect(label!.height).toBeLessThanOrEqual(16)
  } finally {
    await relay.close()
  }
})
