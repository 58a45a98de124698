import { freePort } from '../helpers/postfix.ts'
import { smtpDialog } from '../helpers/smtp-client.ts'
import { test, expect } from './fixtures.ts'
import { menu } from './relay.ts'

// Local submission in Chromium against `npm run serve`: turned on in Edit
// Settings, a plain SMTP client hands it a message, and the message is in the
// Mail Queue and in the Mail Log with the client that sent it.

test('enable local submission, send with a plain SMTP client, see it in the Mail Queue and the Mail Log with its client', async ({ page, consoleServer }) => {
  const port = await freePort()
  await page.goto(consoleServer.url)
  await menu(page, 'Edit Settings').click()
  await page.getByText('Advanced').click()
  await page.getByLabel('Local submission').check()
  await page.getByLabel('Listen port').fill(String(port))
  await page.getByRole('button', { name: 'Submit' }).click()
  await expect(page.getByText('Settings saved.')).toBeVisible()

  await menu(page, 'Dashboard').click()
  // The Configuration card's line (the Logs table below names the event too).
  const state = page.locator('.facts dd', { hasText: /^Listening on/ })
  await expect(state).toContainText(`Listening on 127.0.0.1:${port}`)

  const client = await smtpDialog(port)
  expect(client.greeting).toMatch(/^220 /)
  await client.send('EHLO monitor.example.test')
  expect(await client.send('MAIL FROM:<monitor@example.test>')).toMatch(/^250 /)
  expect(await client.send('RCPT TO:<oncall@example.net>')).toMatch(/^250 /)
  expect(await client.send('DATA')).toMatch(/^354 /)
  const reply = await client.sendRaw('From: monitor@example.test\r\nTo: oncall@example.net\r\nSubject: Disk 91% full on backup01\r\n\r\nCheck /var.\r\n.\r\n')
  expect(reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{12}$/)
  const queueId = /queued as (\w+)/.exec(reply)![1]!
  await client.send('QUIT')
  client.close()

  await menu(page, 'Mail Queue').click()
  await expect(page.getByText(queueId).first()).toBeVisible()
  await expect(page.getByText('oncall@example.net').first()).toBeVisible()

  await menu(page, 'Mail Log').click()
  const row = page.getByRole('row').filter({ hasText: queueId }).filter({ hasText: 'received' })
  await expect(row).toContainText('[127.0.0.1]:')
  await menu(page, 'Dashboard').click()
  await expect(state).toHaveText(new RegExp(`^Listening on 127\\.0\\.0\\.1:${port}( and \\[::1\\]:${port})? · 1 received today$`))
})
