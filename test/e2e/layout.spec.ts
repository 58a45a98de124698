import type { Locator, Page } from '@playwright/test'
import { test, expect, type ConsoleServer } from './fixtures.ts'
import { freePort, menu, startRelay } from './relay.ts'
import { startSmtp } from '../helpers/smtp.ts'

// The console at the screens admins have: what explains a row (the reason, the
// reply, the domain, the time) is on screen, measured, and whole; the
// dashboard says whether mail goes out; Flush Queue says what it did.

const LONG_RECIPIENT = 'security-incident-response-distribution-list@subsidiary-holdings-international.example.net'

async function relayAt(consoleServer: ConsoleServer, port: number, extra: Record<string, unknown> = {}): Promise<void> {
  const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await consoleServer.api('settings.update', {
    settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: port, useTls: false, ...extra },
    ...(extra.useSasl ? { password: 'wrong-password' } : {}),
  })
}

const status = (consoleServer: ConsoleServer) => consoleServer.api<{ counts: { total: number; deferred: number }; lastDeliveryAt: number | null }>('status.get')

/** On screen, at least `min` px wide, inside the window, and its text whole (not cut by an ellipsis or a line clamp). */
async function shownWhole(page: Page, cell: Locator, min: number): Promise<void> {
  await expect(cell).toBeVisible()
  const box = (await cell.boundingBox())!
  expect(box.width).toBeGreaterThanOrEqual(min)
  expect(box.x + box.width).toBeLessThanOrEqual(page.viewportSize()!.width)
  const fit = await cell.evaluate((el) => ({ w: el.scrollWidth - el.clientWidth, h: el.scrollHeight - el.clientHeight }))
  expect(fit.w, 'cut on the right').toBeLessThanOrEqual(0)
  expect(fit.h, 'cut at the bottom').toBeLessThanOrEqual(0)
}

for (const viewport of [
  { width: 1024, height: 640 },
  { width: 1920, height: 1080 },
]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport })

    test('the reason of a deferred message, the reply of a log row, the time and the report’s domains are shown whole', async ({ page, consoleServer }) => {
      const relay = await startRelay()
      try {
        await relayAt(consoleServer, relay.port)
        await consoleServer.api('mail.sendTest', { to: LONG_RECIPIENT })
        await consoleServer.api('mail.sendTest', { to: 'jane@example.org' })
        // Both delivered and recorded before the relay goes: the queue is empty again.
        await expect.poll(() => relay.received.length, { timeout: 20_000 }).toBe(2)
        await expect.poll(async () => (await status(consoleServer)).counts.total, { timeout: 20_000 }).toBe(0)
      } finally {
        await relay.close()
      }
      await relayAt(consoleServer, await freePort())
      await consoleServer.api('mail.sendTest', { to: LONG_RECIPIENT })
      await expect.poll(async () => (await status(consoleServer)).counts.deferred, { timeout: 20_000 }).toBe(1)

      await page.goto(consoleServer.url)
      // The dashboard's Mail Queue: the reason beside the message.
      const dashQueue = page.getByRole('table', { name: 'Most recent Mail Queue entries' })
      await shownWhole(page, dashQueue.locator('tbody tr').first().locator('.reason'), 150)
      await expect(dashQueue.locator('.reason').first()).toContainText('refused the connection')

      await menu(page, 'Mail Queue').click()
      const queueRow = page.getByRole('table', { name: 'Mail Queue' }).locator('tbody tr').first()
      const reason = queueRow.locator('.reason')
      await shownWhole(page, reason, 150)
      await expect(reason).toContainText('refused the connection')
      await expect(queueRow.getByRole('button', { name: /^Delete / })).toBeInViewport()

      await menu(page, 'Mail Log').click()
      const log = page.getByRole('table', { name: 'Mail Log' })
      const deferredRow = log.locator('tbody').filter({ has: page.locator('.badge-deferred') }).first().locator('tr').first()
      const reply = deferredRow.locator('td.reply')
      await shownWhole(page, reply, 150)
      await expect(reply).toContainText('ECONNREFUSED')
      // The Time column shows the whole time, seconds included, at every width.
      const time = log.locator('tbody td.time').first()
      await expect(time).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
      await shownWhole(page, time, 100)
      // Where the window is wide, a long address is not cut.
      if (viewport.width >= 1920) await shownWhole(page, log.locator('tbody .address', { hasText: 'security-incident' }).first(), 150)

      await menu(page, "Today's Report").click()
      const domains = page.getByRole('region', { name: 'Host/domain summary' }).getByRole('table')
      for (const name of ['subsidiary-holdings-international.example.net', 'example.org']) {
        await shownWhole(page, domains.locator('tbody .address', { hasText: name }), 150)
      }
    })

    test('the dashboard says delivery stopped and why, Flush Queue says what it did, and the line says delivery is back', async ({ page, consoleServer }) => {
      const port = await freePort()
      await relayAt(consoleServer, port)
      await consoleServer.api('mail.sendTest', { to: 'oncall@example.net' })
      await consoleServer.api('mail.sendTest', { to: 'helpdesk@example.org' })
      await expect.poll(async () => (await status(consoleServer)).counts.deferred, { timeout: 20_000 }).toBe(2)

      await page.goto(consoleServer.url)
      const line = page.locator('.health')
      await expect(line).toHaveText(new RegExp(`^Not delivering since \\d\\d:\\d\\d — connection refused by 127\\.0\\.0\\.1:${port} — check Relay Port and Relay Host, then Flush Queue$`))
      await expect(line).toHaveClass(/health-failing/)
      await shownWhole(page, line, 300)
      await expect(line.getByRole('link', { name: 'Relay Port' })).toHaveAttribute('href', '#/settings?focus=relayPort')

      // Logs filtered by error show the outage.
      await menu(page, 'Logs').click()
      await page.getByLabel('Level').selectOption('error')
      await expect(page.getByRole('table', { name: 'Logs' }).getByText(/^Not delivering: connection refused by/)).toBeVisible()

      const relay = await startRelay(port)
      try {
        await menu(page, 'Flush Queue').click()
        await page.getByRole('button', { name: 'Flush Queue' }).click()
        await page.getByRole('dialog').getByRole('button', { name: 'Yes' }).click()
        const outcome = page.getByText('Flush Queue: 2 sent, 0 still deferred.')
        await expect(outcome).toBeVisible()
        await expect(outcome).toHaveClass(/notice-ok/)
        expect(relay.received).toHaveLength(2)

        await menu(page, 'Dashboard').click()
        await expect(line).toHaveText(/^Delivering normally, last sent \d\d:\d\d$/)
        await expect(line).toHaveClass(/health-ok/)
      } finally {
        await relay.close()
      }
    })
  })
}

test('a rejected password is an error under Logs, and Flush Queue says none went out, in red', async ({ page, consoleServer }) => {
  const server = await startSmtp({ tls: 'starttls', auth: { user: 'relayuser', pass: 'right' } })
  try {
    await relayAt(consoleServer, server.port, { useTls: true, verifyCertificate: false, useSasl: true, username: 'relayuser' })
    await consoleServer.api('mail.sendTest', { to: 'oncall@example.net' })
    await expect.poll(async () => (await status(consoleServer)).counts.deferred, { timeout: 20_000 }).toBe(1)

    await page.goto(consoleServer.url)
    await expect(page.locator('.health')).toContainText('rejects the Username and Password — check Username and Password, then Flush Queue')
    await menu(page, 'Logs').click()
    await page.getByLabel('Level').selectOption('error')
    const logs = page.getByRole('table', { name: 'Logs' })
    await expect(logs.getByText(/rejected the Username and Password/).first()).toBeVisible()

    await menu(page, 'Flush Queue').click()
    await page.getByRole('button', { name: 'Flush Queue' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Yes' }).click()
    const outcome = page.getByText(/^Flush Queue: 0 sent, 1 still deferred\./)
    await expect(outcome).toBeVisible()
    await expect(outcome).toHaveClass(/notice-error/)
  } finally {
    await server.close()
  }
})
