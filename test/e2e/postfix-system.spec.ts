import { expect, test } from '@playwright/test'
import { rmSync } from 'node:fs'
import { inject, allDeferred } from '../helpers/postfix-backend.ts'
import { postfixUnusable, startPostfix, type PostfixInstance } from '../helpers/postfix.ts'
import { startConsole, stopConsole } from './fixtures.ts'
import { freePort, menu } from './relay.ts'

// The console over a real Postfix: a private instance on loopback whose relay
// is a closed port, so what it is given stays deferred; the console started as
// an admin would (`npm run serve -- --backend postfix --postfix-config DIR`).

const unusable = postfixUnusable()

test.describe('a Postfix system', () => {
  test.skip(unusable !== null, `needs a private Postfix: ${unusable ?? ''}`)

  let pf: PostfixInstance | null = null
  test.afterEach(async () => {
    await pf?.stop()
    pf = null
  })

  test('switch to it, see its deferred queue with Postfix’s reasons, Delete Queue, see it empty', async ({ page, request }) => {
    test.setTimeout(120_000)
    pf = await startPostfix({ relayPort: await freePort() })
    inject(pf, 7, 'alerts@console.example', 'ops@example.net')
    await allDeferred(pf, 7, 60_000)

    const { server, child } = await startConsole(request, undefined, {}, ['--backend', 'postfix', '--postfix-config', pf.configDir])
    try {
      // This computer's console first: the System picker lists the Postfix server beside it.
      await page.goto(server.url.replace(/&system=[^&]*/, ''))
      const picker = page.getByLabel('System', { exact: true })
      await expect(picker).toHaveValue('local')
      await expect(picker.locator('option')).toHaveText(['This computer', /^Postfix .* — Postfix, this computer$/])
      await picker.selectOption({ index: 1 })
      await expect(page).toHaveURL(/[?&]system=/)

      await menu(page, 'Mail Queue').click()
      const rows = page.getByRole('table', { name: 'Mail Queue' }).locator('tbody tr')
      await expect(rows).toHaveCount(7, { timeout: 20_000 })
      await expect(rows.first()).toContainText('ops@example.net')
      await expect(rows.first()).toContainText('deferred')
      // Postfix's delay reason, decoded as the embedded engine's are: the cause in words.
      await expect(rows.first()).toContainText('The server refused the connection')

      // The dashboard sums up both systems.
      await menu(page, 'Dashboard').click()
      const summary = page.getByRole('region', { name: 'All systems' })
      await expect(summary.getByRole('row')).toHaveCount(3)
      await expect(summary.getByRole('row').nth(2)).toContainText('7')

      await menu(page, 'Delete Queue').click()
      await page.getByRole('button', { name: 'Delete Queue' }).click()
      const dialog = page.getByRole('dialog')
      await expect(dialog).toContainText('7')
      await dialog.getByRole('button', { name: 'Yes' }).click()
      await expect(page.getByText('Deleted 7 messages.')).toBeVisible()
      expect(pf.queue()).toEqual([])

      await menu(page, 'Mail Queue').click()
      await expect(rows).toHaveCount(0)
      // What Postfix logged reaches Logs: `postsuper -d ALL` says how many it deleted (and names none).
      await menu(page, 'Logs').click()
      await expect(page.getByRole('table', { name: 'Logs' }).getByText('Deleted: 7 messages')).toBeVisible({ timeout: 20_000 })
      // And the Mail Log has Postfix's deferrals, with their reasons.
      await menu(page, 'Mail Log').click()
      await page.getByLabel('Status').selectOption('deferred')
      await expect(page.locator('.pager-position')).toHaveText('1–7 of 7', { timeout: 20_000 })
    } finally {
      await stopConsole(child)
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })
})
