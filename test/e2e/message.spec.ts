import { readFileSync } from 'node:fs'
import { test, expect } from './fixtures.ts'
import { menu, startRelay } from './relay.ts'

// A delivered message opened from the Mail Log: its story from received to sent, its SMTP
// transcript, and its source, kept after it left the queue, downloaded as an .eml file.

test('a delivered message opens from the Mail Log with its story, and its source downloads', async ({ page, consoleServer }) => {
  const relay = await startRelay()
  try {
    const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
    await consoleServer.api('settings.update', {
      settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: relay.port, useTls: false },
    })
    const { queueId } = await consoleServer.api<{ queueId: string }>('mail.sendTest', { to: 'admin@example.net', subject: 'Backup finished on db1' })
    await expect.poll(() => relay.received.length).toBe(1)

    await page.goto(consoleServer.url)
    await menu(page, 'Mail Log').click()
    // Its rows are received and sent: either opens it.
    await page.getByRole('button', { name: `Open message ${queueId}` }).first().click()
    const dialog = page.getByRole('dialog', { name: `Message ${queueId}` })
    const story = dialog.getByRole('table', { name: `Story of ${queueId}` })
    await expect(story.getByRole('row')).toHaveCount(3)
    await expect(story.getByRole('row').nth(1)).toContainText('received')
    await expect(story.getByRole('row').nth(2)).toContainText('sent')
    await expect(dialog.getByText('Backup finished on db1').first()).toBeVisible()
    await expect(dialog.getByText(/Left the queue \(sent/)).toBeVisible()

    // Each header reads on one line: its name, then its value beside it, not squeezed into a column.
    const rows = await dialog.locator('dl.headers dt').evaluateAll((names) =>
      names.map((dt) => {
        const dd = dt.nextElementSibling!.getBoundingClientRect()
        const n = dt.getBoundingClientRect()
        return { name: dt.textContent, sameLine: Math.abs(n.top - dd.top) < 4 && dd.left > n.right, oneLine: dd.height < 2 * n.height }
      }),
    )
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.filter((r) => !r.sameLine || !r.oneLine)).toEqual([])

    await dialog.getByRole('button', { name: 'Show SMTP transcript' }).click()
    await expect(dialog.getByText(/EHLO/)).toBeVisible()

    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download .eml' }).click()])
    expect(download.suggestedFilename()).toBe(`${queueId}.eml`)
    const eml = readFileSync(await download.path(), 'utf8')
    expect(eml).toMatch(/^Subject: Backup finished on db1$/m)
    // The very message the relay took (DKIM and Received aside, the same bytes).
    expect(relay.received[0]!.raw).toContain(eml.slice(eml.indexOf('\r\n\r\n')).trim())
  } finally {
    await relay.close()
  }
})
