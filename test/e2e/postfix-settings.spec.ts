import { expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { POSTCONF, postfixUnusable, startPostfix, type PostfixInstance } from '../helpers/postfix.ts'
import { startConsole, stopConsole } from './fixtures.ts'
import { freePort, menu } from './relay.ts'

// Edit Settings on a real Postfix: a private instance on loopback, the console
// started as an admin would (`npm run serve -- --backend postfix --postfix-config DIR`).
// The preview's lines, then main.cf as postconf reads it, after Apply and after Undo.

const unusable = postfixUnusable()

test.describe('Edit Settings on a Postfix system', () => {
  test.skip(unusable !== null, `needs a private Postfix: ${unusable ?? ''}`)

  let pf: PostfixInstance | null = null
  test.afterEach(async () => {
    await pf?.stop()
    pf = null
  })

  test('change Relay Port: the preview lists relayhost old → new, Apply writes main.cf, Undo puts it back', async ({ page, request }) => {
    test.setTimeout(120_000)
    const relayPort = await freePort()
    pf = await startPostfix({ relayPort })
    const relayhost = () => execFileSync(POSTCONF, ['-c', pf!.configDir, '-h', 'relayhost'], { encoding: 'utf8' }).trim()
    expect(relayhost()).toBe(`[127.0.0.1]:${relayPort}`)
    const newPort = relayPort === 2525 ? 2526 : 2525

    const { server, child } = await startConsole(request, undefined, {}, ['--backend', 'postfix', '--postfix-config', pf.configDir])
    try {
      await page.goto(server.url)
      await expect(page).toHaveURL(/[?&]system=/)
      await menu(page, 'Edit Settings').click()
      const port = page.getByLabel('Relay Port', { exact: true })
      await expect(port).toHaveValue(String(relayPort))
      // What the server would refuse is not offered.
      await expect(page.getByLabel('Sign-in method')).toHaveCount(0)
      await expect(page.getByRole('button', { name: 'Check connection' })).toHaveCount(0)

      await port.fill(String(newPort))
      await page.getByRole('button', { name: 'Submit' }).click()
      const dialog = page.getByRole('dialog', { name: 'Apply these changes to main.cf on this computer?' })
      await expect(dialog).toBeVisible()
      const line = dialog.getByRole('row', { name: /relayhost/ })
      await expect(line).toContainText(`[127.0.0.1]:${relayPort}`)
      await expect(line).toContainText(`[127.0.0.1]:${newPort}`)
      await expect(dialog.getByRole('row')).toHaveCount(2)
      // Nothing is written before Apply.
      expect(relayhost()).toBe(`[127.0.0.1]:${relayPort}`)

      await dialog.getByRole('button', { name: 'Apply' }).click()
      await expect(page.getByText('Settings saved.')).toBeVisible({ timeout: 20_000 })
      expect(relayhost()).toBe(`[127.0.0.1]:${newPort}`)

      await page.getByRole('button', { name: 'Undo last save' }).click()
      const confirm = page.getByRole('dialog', { name: 'Undo the last save on this computer?' })
      await confirm.getByRole('button', { name: 'Undo last save' }).click()
      await expect(page.getByText('The last save was undone: main.cf on this computer is as it was before it.')).toBeVisible({ timeout: 20_000 })
      expect(relayhost()).toBe(`[127.0.0.1]:${relayPort}`)
      await expect(port).toHaveValue(String(relayPort))
    } finally {
      await stopConsole(child)
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })
})
