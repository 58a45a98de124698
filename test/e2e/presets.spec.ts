import { test, expect } from './fixtures.ts'
import { menu } from './relay.ts'

// The Provider picker on Edit Settings, in Chromium against `npm run serve`:
// a preset is saved as the engine reads it, and it never replaces what the
// admin typed without a confirm whose Cancel keeps it.

interface SavedSettings {
  settings: { relayHost: string; relayPort: number | null; useTls: boolean; tlsMode: string; useSasl: boolean; username: string }
  hasPassword: boolean
}

test('pick SendGrid on a fresh console and Submit: the saved settings are smtp.sendgrid.net:587 with STARTTLS', async ({ page, consoleServer }) => {
  await page.goto(consoleServer.url)
  await menu(page, 'Edit Settings').click()
  await expect(page.getByLabel('Provider')).toHaveValue('custom')
  await page.getByLabel('Provider').selectOption({ label: 'SendGrid' })
  await expect(page.getByRole('dialog')).toHaveCount(0)
  await expect(page.getByRole('region', { name: 'SendGrid setup' })).toContainText('Mail Send permission')
  await expect(page.getByLabel('Relay Host')).toHaveValue('smtp.sendgrid.net')
  await expect(page.getByLabel('Username', { exact: true })).toHaveValue('apikey')
  await page.getByLabel('Hostname').fill('console.example.com')
  await page.getByLabel('From Address').fill('alerts@example.com')
  await page.getByLabel('Password', { exact: true }).fill('SG.test-key')
  await page.getByRole('button', { name: 'Submit' }).click()
  await expect(page.getByText('Settings saved.')).toBeVisible()

  const saved = await consoleServer.api<SavedSettings>('settings.get')
  expect(saved.settings).toMatchObject({ relayHost: 'smtp.sendgrid.net', relayPort: 587, useTls: true, tlsMode: 'starttls', useSasl: true, username: 'apikey' })
  expect(saved.hasPassword).toBe(true)
  await menu(page, 'Dashboard').click()
  await expect(page.getByText('Relay smtp.sendgrid.net:587')).toBeVisible()
  const tls = page.locator('.facts dt', { hasText: /^TLS$/ }).locator('xpath=following-sibling::dd[1]')
  await expect(tls).toHaveText('STARTTLS')

  // Back on Edit Settings, the saved relay is recognised as SendGrid's.
  await menu(page, 'Edit Settings').click()
  await expect(page.getByLabel('Provider')).toHaveValue('sendgrid')
})

test('picking another provider with edits present asks first; Cancel keeps the edits', async ({ page, consoleServer }) => {
  const before = await consoleServer.api<SavedSettings>('settings.get')
  await page.goto(consoleServer.url)
  await menu(page, 'Edit Settings').click()
  await page.getByLabel('Relay Host').fill('mail.corp.example')
  await page.getByLabel('Relay Port').fill('2525')

  await page.getByLabel('Provider').selectOption({ label: 'Microsoft 365' })
  const dialog = page.getByRole('dialog', { name: 'Use the Microsoft 365 settings?' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByRole('listitem')).toContainText(['Relay Host: mail.corp.example → smtp.office365.com', 'Relay Port: 2525 → 587'])
  await dialog.getByRole('button', { name: 'Cancel' }).click()

  await expect(dialog).toHaveCount(0)
  await expect(page.getByLabel('Relay Host')).toHaveValue('mail.corp.example')
  await expect(page.getByLabel('Relay Port')).toHaveValue('2525')
  await expect(page.getByLabel('Use TLS')).toHaveValue('none')
  await expect(page.getByLabel('Provider')).toHaveValue('custom')
  expect(await consoleServer.api('settings.get')).toEqual(before)
})
