import { rmSync } from 'node:fs'
import { expect, startConsole, stopConsole, test } from './fixtures.ts'
import { freePort } from './relay.ts'

// Alerts that do not depend on mail, in the browser: the relay is down and the
// queue grows past its alert threshold, so the page shows a banner with the
// count; then the console's server stops, and the page says it lost contact.

test('a relay outage shows an alert banner with the count; a stopped server, the lost connection', async ({ page, request }) => {
  const { server, child } = await startConsole(request)
  try {
    const port = await freePort()
    const current = await server.api<{ settings: Record<string, unknown> }>('settings.get')
    await server.api('settings.update', {
      settings: { ...current.settings, hostname: 'console.example.test', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: port, useTls: false, alertQueueSize: 4 },
    })
    await page.goto(server.url)
    await expect(page.getByRole('heading', { name: 'SMTP Dashboard' })).toBeVisible()

    for (let i = 1; i <= 5; i++) await server.api('mail.sendTest', { to: `ops${i}@example.org` })
    const banners = page.getByRole('region', { name: 'Alerts' })
    const growing = banners.getByRole('alert').filter({ hasText: 'The mail queue is growing' })
    await expect(growing).toContainText('5 messages are waiting, more than the 4 messages of the Queue size alert.', { timeout: 30_000 })
    await expect(banners.getByRole('alert').filter({ hasText: 'Mail is being deferred' })).toContainText('retried automatically')

    await growing.getByRole('link', { name: 'Open the Mail Queue' }).click()
    await expect(page.getByRole('heading', { name: 'Mail Queue' })).toBeVisible()
    await expect(page.locator('.pager-position')).toHaveText('1–5 of 5')

    await stopConsole(child)
    await expect(banners.getByRole('alert').filter({ hasText: 'Connection lost.' })).toContainText('lost its connection to the engine')
  } finally {
    await stopConsole(child)
    rmSync(server.dataDir, { recursive: true, force: true })
  }
})
