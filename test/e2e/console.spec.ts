import { test, expect, type ConsoleServer } from './fixtures.ts'
import { freePort, menu, startRelay } from './relay.ts'

// The console as an administrator uses it, in Chromium against `npm run serve`
// and a real SMTP relay on loopback. Controls are found by their accessible
// names, the seed's words.

async function configureRelay(consoleServer: ConsoleServer, port: number): Promise<void> {
  const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await consoleServer.api('settings.update', {
    settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: port, useTls: false },
  })
}

async function queueCounts(consoleServer: ConsoleServer) {
  return (await consoleServer.api<{ counts: { total: number; deferred: number } }>('status.get')).counts
}

test('configure a relay in Edit Settings and send a test email that arrives', async ({ page, consoleServer }) => {
  const relay = await startRelay()
  try {
    await page.goto(consoleServer.url)
    await menu(page, 'Edit Settings').click()
    await page.getByLabel('Hostname').fill('console.example.test')
    await page.getByLabel('From Name').fill('Ops Console')
    await page.getByLabel('From Address').fill('alerts@example.test')
    await page.getByLabel('Relay Host').fill('127.0.0.1')
    await page.getByLabel('Relay Port').fill(String(relay.port))
    await expect(page.getByLabel('Use TLS')).toHaveValue('none')
    await page.getByRole('button', { name: 'Submit' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()

    await menu(page, 'Send Test Email').click()
    await page.getByLabel('Email address').fill('admin@example.net')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect(page.getByText(`Sent: Delivered to admin@example.net via 127.0.0.1[127.0.0.1]:${relay.port}`)).toBeVisible()
    expect(relay.received).toHaveLength(1)
    expect(relay.received[0]!.to).toEqual(['admin@example.net'])
    expect(relay.received[0]!.raw).toMatch(/^From: Ops Console <alerts@example\.test>$/m)

    await page.getByRole('button', { name: 'Show SMTP transcript' }).click()
    await expect(page.getByText(/C: MAIL FROM:<alerts@example\.test>/)).toBeVisible()

    await menu(page, 'Dashboard').click()
    await expect(page.getByText(`Relay 127.0.0.1:${relay.port}`)).toBeVisible()
  } finally {
    await relay.close()
  }
})

test('with the relay down, 120 messages wait; page through them, bring the relay back, Flush Queue drains it', async ({ page, consoleServer }) => {
  const port = await freePort()
  await configureRelay(consoleServer, port)
  for (let i = 0; i < 120; i++) await consoleServer.api('mail.sendTest', { to: `user${String(i).padStart(3, '0')}@example.net` })
  await expect.poll(async () => (await queueCounts(consoleServer)).deferred, { timeout: 30_000 }).toBe(120)

  await page.goto(consoleServer.url)
  await menu(page, 'Mail Queue').click()
  const position = page.locator('.pager-position')
  await expect(position).toHaveText('1–50 of 120')
  await expect(page.getByRole('row')).toHaveCount(51)
  await expect(page.getByRole('cell', { name: 'user119@example.net' })).toBeVisible()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(position).toHaveText('51–100 of 120')
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(position).toHaveText('101–120 of 120')
  await expect(page.getByRole('cell', { name: 'user000@example.net' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled()
  await page.getByRole('button', { name: 'Prev' }).click()
  await expect(position).toHaveText('51–100 of 120')
  await expect(page.getByText(/refused the connection/).first()).toBeVisible()

  const relay = await startRelay(port)
  try {
    await menu(page, 'Flush Queue').click()
    await page.getByRole('button', { name: 'Flush Queue' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Yes' }).click()
    await expect(page.getByText('Flush Queue: 120 sent, 0 still deferred.')).toBeVisible({ timeout: 30_000 })
    await menu(page, 'Mail Queue').click()
    await expect(page.getByText('The queue is empty. Messages waiting to be sent appear here.')).toBeVisible({ timeout: 30_000 })
    expect(new Set(relay.received.flatMap((r) => r.to)).size).toBe(120)
  } finally {
    await relay.close()
  }
})

test('Delete Queue says how many will go, asks, and empties the queue', async ({ page, consoleServer }) => {
  await configureRelay(consoleServer, await freePort())
  for (let i = 0; i < 30; i++) await consoleServer.api('mail.sendTest', { to: `ops${i}@${i % 2 ? 'example.org' : 'example.net'}` })
  await expect.poll(async () => (await queueCounts(consoleServer)).deferred, { timeout: 30_000 }).toBe(30)

  await page.goto(consoleServer.url)
  await menu(page, 'Delete Queue').click()
  await expect(page.getByText('example.org')).toBeVisible()
  await page.getByRole('button', { name: 'Delete Queue' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog).toContainText('30')
  await dialog.getByRole('button', { name: 'Yes' }).click()
  await expect(page.getByText('Deleted 30 messages.')).toBeVisible()
  expect((await queueCounts(consoleServer)).total).toBe(0)
  await menu(page, 'Mail Log').click()
  await page.getByLabel('Status').selectOption('deleted')
  await expect(page.locator('.pager-position')).toHaveText('1–30 of 30')
})

test('the Mail Log and Logs page with Next and Prev', async ({ page, consoleServer }) => {
  const relay = await startRelay()
  try {
    await configureRelay(consoleServer, relay.port)
    for (let i = 0; i < 60; i++) await consoleServer.api('mail.sendTest', { to: `reader${i}@example.net` })
    await expect.poll(() => relay.received.length, { timeout: 30_000 }).toBe(60)

    await page.goto(consoleServer.url)
    await menu(page, 'Mail Log').click()
    const position = page.locator('.pager-position')
    await expect(position).toHaveText('1–50 of 120')
    await page.getByRole('button', { name: 'Next' }).click()
    await expect(position).toHaveText('51–100 of 120')
    await page.getByRole('button', { name: 'Prev' }).click()
    await expect(position).toHaveText('1–50 of 120')
    await page.getByLabel('Status').selectOption('sent')
    await expect(position).toHaveText('1–50 of 60')
    await page.getByLabel('Search').fill('reader7@')
    await expect(position).toHaveText('1–1 of 1')

    await menu(page, 'Logs').click()
    await expect(position).toContainText(/^1–50 of \d+/)
    await page.getByRole('button', { name: 'Next' }).click()
    await expect(position).toContainText(/^51–\d+ of \d+/)
    await page.getByLabel('Search').fill('Settings saved')
    await expect(page.getByText(/Settings saved: .*Relay Host, Relay Port changed./)).toBeVisible()
    await expect(position).toHaveText('1–1 of 1')
  } finally {
    await relay.close()
  }
})

test('invalid settings show field errors and change nothing', async ({ page, consoleServer }) => {
  const before = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await page.goto(consoleServer.url)
  await menu(page, 'Edit Settings').click()
  await page.getByLabel('Hostname').fill('not a host name')
  await page.getByLabel('From Address').fill('alerts-at-example')
  await page.getByLabel('Relay Host').fill('relay.example.net')
  await page.getByLabel('Relay Port').fill('70000')
  await page.getByRole('button', { name: 'Submit' }).click()
  await expect(page.getByLabel('Hostname')).toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByText('Hostname must be a fully qualified domain name, such as mail.example.com.')).toBeVisible()
  await expect(page.getByText('From Address must be a valid email address, like alerts@example.com.')).toBeVisible()
  await expect(page.getByText('Relay Port must be from 1 to 65535.')).toBeVisible()
  await expect(page.getByText('Settings saved.')).toHaveCount(0)
  expect(await consoleServer.api('settings.get')).toEqual(before)

  await page.getByLabel('Use SASL Authorization').check()
  await page.getByLabel('Hostname').fill('mail.example.com')
  await page.getByLabel('From Address').fill('alerts@example.com')
  await page.getByLabel('Relay Port').fill('587')
  await page.getByLabel('Username', { exact: true }).fill('')
  await page.getByRole('button', { name: 'Submit' }).click()
  await expect(page.getByText('Enter the Username: Use SASL Authorization is on.')).toBeVisible()
  expect(await consoleServer.api('settings.get')).toEqual(before)
})
