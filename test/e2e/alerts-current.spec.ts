import { rmSync } from 'node:fs'
import { expect, startConsole, stopConsole, test } from './fixtures.ts'
import { freePort } from './relay.ts'

// An admin opening the console in the middle of an outage: the alert was
// raised before the page existed, and the throttle raises no other for the
// Alert interval, so the banner can only come from what stands now.

test('a page opened while mail is deferred shows the standing alert at once, without a new one', async ({ page, request }) => {
  const { server, child } = await startConsole(request)
  try {
    const port = await freePort()
    const current = await server.api<{ settings: Record<string, unknown> }>('settings.get')
    await server.api('settings.update', {
      settings: { ...current.settings, hostname: 'console.example.test', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: port, useTls: false },
    })
    for (let i = 1; i <= 2; i++) await server.api('mail.sendTest', { to: `ops${i}@example.org` })
    const alertsLogged = async () => (await server.api<{ items: { source: string; message: string }[] }>('events.list', { limit: 50, text: 'Mail is' })).items.filter((e) => e.source === 'alerts')
    await expect.poll(async () => (await alertsLogged()).map((e) => e.message.split(':')[0]), { timeout: 30_000 }).toEqual(['Mail is being deferred'])

    await page.goto(server.url)
    const deferred = page.getByRole('region', { name: 'Alerts' }).getByRole('alert').filter({ hasText: 'Mail is being deferred' })
    await expect(deferred).toContainText('retried automatically')
    await expect(deferred.getByRole('link', { name: 'Open the Mail Queue' })).toBeVisible()
    // Still the one alert the engine raised before the page opened: no event brought the banner.
    expect((await alertsLogged()).map((e) => e.message.split(':')[0])).toEqual(['Mail is being deferred'])
  } finally {
    await stopConsole(child)
    rmSync(server.dataDir, { recursive: true, force: true })
  }
})
