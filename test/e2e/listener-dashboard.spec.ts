import { createServer, type Server } from 'node:net'
import nodemailer from 'nodemailer'
import { freePort } from '../helpers/postfix.ts'
import { test, expect, type ConsoleServer } from './fixtures.ts'
import type { Page } from '@playwright/test'
import type { SettingsView } from '../../src/shared/settings.ts'

// The dashboard's Local submission line in Chromium against `npm run serve`:
// why the listener cannot listen when another program holds its port, and
// where it listens with the count of messages it took today.

/** Turns Local submission on at `port` through the API, as Edit Settings' Submit would. */
async function listenOn(consoleServer: ConsoleServer, port: number): Promise<void> {
  const view = await consoleServer.api<SettingsView>('settings.get')
  await consoleServer.api('settings.update', { settings: { ...view.settings, listenEnabled: true, listenAddress: '127.0.0.1', listenPort: port } })
}

/** The Configuration card's value beside "Local submission". */
const localSubmissionLine = (page: Page) => page.locator('.facts dt', { hasText: /^Local submission$/ }).locator('xpath=following-sibling::dd[1]')

test('another program on the port: the dashboard says Local submission cannot listen, and why', async ({ page, consoleServer }) => {
  // Another program holding the port, as a second mail server would.
  const blocker: Server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()))
  const port = (blocker.address() as { port: number }).port
  try {
    await listenOn(consoleServer, port)
    await page.goto(consoleServer.url)
    const line = localSubmissionLine(page)
    await expect(line).toContainText(`Local submission cannot listen on 127.0.0.1:${port}: the port is in use by another program (EADDRINUSE).`)
    await expect(line).toContainText('Change Listen port or Listen address in Edit Settings → Advanced, or stop that program.')
    await expect(line).toHaveAttribute('role', 'alert')
    await expect(line).not.toContainText('Listening on')
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
  }
})

test('listening: the dashboard says where, and counts a message sent with nodemailer as received today', async ({ page, consoleServer }) => {
  const port = await freePort()
  await listenOn(consoleServer, port)
  await page.goto(consoleServer.url)
  const line = localSubmissionLine(page)
  const listening = (count: number) => new RegExp(`^Listening on 127\\.0\\.0\\.1:${port}( and \\[::1\\]:${port})? · ${count} received today$`)
  await expect(line).toHaveText(listening(0))

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000, greetingTimeout: 10_000 })
  try {
    const info = await transport.sendMail({ from: 'backup@example.test', to: 'oncall@example.net', subject: 'Backup of db01 finished', text: 'All 14 volumes copied.' })
    expect(info.accepted).toEqual(['oncall@example.net'])
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{12}$/)
  } finally {
    transport.close()
  }
  // The dashboard follows on its own (no reload), as it does for the queue.
  await expect(line).toHaveText(listening(1))
})
