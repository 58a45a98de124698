import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, startConsole, stopConsole, test } from './fixtures.ts'
import { freePort, menu, startRelay } from './relay.ts'

// What an admin sees when something is wrong under the console: a damaged
// settings file never reroutes queued mail, and weakened security stays in view.

test('a damaged settings file pauses delivery: the dashboard names it, queued mail waits, valid settings deliver it', async ({ page, request }) => {
  const port = await freePort()
  // Three messages wait for a relay that is down.
  let { server, child } = await startConsole(request)
  const dataDir = server.dataDir
  const relay = await startRelay(port)
  try {
    const current = await server.api<{ settings: Record<string, unknown> }>('settings.get')
    const settings = { ...current.settings, hostname: 'console.example.test', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: port, useTls: false }
    await relay.close()
    await server.api('settings.update', { settings })
    for (const to of ['ops@example.net', 'noc@example.net', 'oncall@example.org']) await server.api('mail.sendTest', { to })
    await expect.poll(async () => (await server.api<{ counts: { deferred: number } }>('status.get')).counts.deferred, { timeout: 20_000 }).toBe(3)
    await stopConsole(child)

    // The file is broken by hand; the relay is back. Defaults would deliver directly (and bounce): nothing may leave.
    writeFileSync(join(dataDir, 'settings.json'), '{"settings":"oops"}')
    const back = await startRelay(port)
    ;({ server, child } = await startConsole(request, dataDir))
    try {
      await page.goto(server.url)
      const banner = page.getByRole('alert').filter({ hasText: 'The settings file is damaged.' })
      await expect(banner).toContainText(join(dataDir, 'settings.json'))
      await expect(banner).toContainText('Delivery is paused')
      await expect(page.getByText('Paused (settings file damaged)')).toBeVisible()
      // Flush Queue makes them due now: still nothing is sent while the file is damaged.
      await server.api('queue.flush')
      await page.waitForTimeout(1500)
      expect(back.received).toHaveLength(0)
      expect((await server.api<{ counts: { total: number } }>('status.get')).counts.total).toBe(3)

      // The admin saves valid settings in Edit Settings; delivery resumes.
      await banner.getByRole('link', { name: 'Open Edit Settings' }).click()
      await page.getByLabel('Hostname').fill('console.example.test')
      await page.getByLabel('From Address').fill('alerts@example.test')
      await page.getByLabel('Relay Host').fill('127.0.0.1')
      await page.getByLabel('Relay Port').fill(String(port))
      await page.getByRole('button', { name: 'Submit' }).click()
      await expect(page.getByText('Settings saved.')).toBeVisible()
      await server.api('queue.flush')
      await expect.poll(() => back.received.length, { timeout: 20_000 }).toBe(3)
      await menu(page, 'Dashboard').click()
      await expect(page.getByRole('alert').filter({ hasText: 'The settings file is damaged.' })).toHaveCount(0)
    } finally {
      await back.close()
    }
  } finally {
    await stopConsole(child)
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('Verify certificate off stays in view on the dashboard and in Edit Settings until it is turned back on', async ({ page, consoleServer }) => {
  const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await consoleServer.api('settings.update', { settings: { ...current.settings, relayHost: 'relay.example.net', verifyCertificate: false } })
  await page.goto(consoleServer.url)
  const warning = page.getByRole('note').filter({ hasText: 'Verify certificate is off' })
  await expect(warning).toBeVisible()
  await menu(page, 'Edit Settings').click()
  await expect(page.getByText(/Verify certificate is off/).first()).toBeVisible()
  const logs = await consoleServer.api<{ items: { level: string; message: string }[] }>('events.list', { level: 'warning' })
  expect(logs.items.some((e) => /Verify certificate was turned off/.test(e.message))).toBe(true)

  await consoleServer.api('settings.update', { settings: { ...current.settings, relayHost: 'relay.example.net', verifyCertificate: true } })
  await menu(page, 'Dashboard').click()
  await expect(page.getByRole('note').filter({ hasText: 'Verify certificate is off' })).toHaveCount(0)
})
