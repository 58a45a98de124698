import { test, expect, type ConsoleServer } from './fixtures.ts'
import { freePort, menu } from './relay.ts'

// An incident in the browser: the relay is down, a runaway sender has filled
// the queue beside legitimate mail. The admin filters the Mail Queue by
// recipient domain and sender and deletes only the matching messages.

async function sendAs(consoleServer: ConsoleServer, port: number, fromAddress: string, recipients: string[]): Promise<void> {
  const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
  await consoleServer.api('settings.update', {
    settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress, relayHost: '127.0.0.1', relayPort: port, useTls: false },
  })
  for (const to of recipients) await consoleServer.api('mail.sendTest', { to })
}

interface Entry {
  queueId: string
  sender: string
  recipients: string[]
  state: string
}

test('filter a mixed queue by recipient domain and sender, and delete only the matching messages', async ({ page, consoleServer }) => {
  const port = await freePort()
  await sendAs(consoleServer, port, 'alerts@example.test', ['a1@slow.example.net', 'a2@slow.example.net', 'a3@example.org'])
  await sendAs(consoleServer, port, 'runaway@app.example.test', ['r1@slow.example.net', 'r2@slow.example.net', 'r3@slow.example.net', 'r4@example.org'])
  await expect.poll(async () => (await consoleServer.api<{ counts: { deferred: number } }>('status.get')).counts.deferred, { timeout: 30_000 }).toBe(7)
  const all = (await consoleServer.api<{ items: Entry[] }>('queue.list', { limit: 50 })).items
  // One of the runaway's messages is held: the filter takes it too, whatever its state.
  const held = all.find((e) => e.recipients[0] === 'r3@slow.example.net')!
  await consoleServer.api('queue.hold', { queueId: held.queueId })
  const matching = all.filter((e) => e.sender === 'runaway@app.example.test' && e.recipients[0]!.endsWith('@slow.example.net')).map((e) => e.queueId)
  expect(matching).toHaveLength(3)

  await page.goto(consoleServer.url)
  await menu(page, 'Mail Queue').click()
  const position = page.locator('.pager-position')
  await expect(position).toHaveText('1–7 of 7')
  await page.getByLabel('Recipient domain').fill('slow.example.net')
  await expect(position).toHaveText('1–5 of 5')
  await page.getByLabel('Sender').fill('runaway')
  await expect(position).toHaveText('1–3 of 3')

  await page.getByLabel('Action').selectOption('delete')
  await page.getByRole('button', { name: 'Act on matching…' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog.getByRole('heading')).toHaveText('Delete: 3 matching messages?')
  await expect(dialog).toContainText('to a recipient at slow.example.net, from a sender matching “runaway”')
  await dialog.getByRole('button', { name: 'Yes' }).click()
  await expect(page.getByText('3 messages deleted.')).toBeVisible()
  await expect(dialog).toBeHidden()

  const left = (await consoleServer.api<{ items: Entry[] }>('queue.list', { limit: 50 })).items
  expect(left.map((e) => e.queueId).sort()).toEqual(all.map((e) => e.queueId).filter((id) => !matching.includes(id)).sort())
  const counts = (await consoleServer.api<{ counts: { total: number; hold: number } }>('status.get')).counts
  expect(counts.total).toBe(4)
  expect(counts.hold).toBe(0)
})
