// `npm run screenshots`: fills a console with realistic traffic (thousands of
// messages through a real SMTP server that accepts, greylists and rejects,
// then a relay outage that leaves a queue of deferred mail), serves it with
// `npm run serve`'s server, and photographs every page at 1280×800 in
// Chromium. The pictures land in docs/screenshots for the README.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import { openEngine } from '../src/main/core/engine/engine.ts'
import { startWebServer } from '../src/main/web/server.ts'
import { DEFAULT_SETTINGS } from '../src/shared/settings.ts'

const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'docs', 'screenshots')
mkdirSync(OUT, { recursive: true })
const dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-shots-'))

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onRcptTo(address, _session, cb) {
    const a = address.address
    if (a.includes('@legacy-crm.')) return cb(Object.assign(new Error('5.1.1 <' + a + '>: Recipient address rejected: User unknown in virtual mailbox table'), { responseCode: 550 }))
    if (a.includes('@partner-')) return cb(Object.assign(new Error('4.7.1 <' + a + '>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/'), { responseCode: 450 }))
    cb()
  },
  onData(stream, _session, cb) {
    stream.resume()
    stream.on('end', () => cb())
  },
})
await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()))
const port = ((smtp as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port

const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
const settings = {
  ...DEFAULT_SETTINGS,
  hostname: 'vergeos-cluster01.ops.example.com',
  fromName: 'Cluster Alerts',
  fromAddress: 'alerts@ops.example.com',
  relayHost: '127.0.0.1',
  relayPort: port,
}
await engine.call('settings.update', { settings })
const teams = ['storage-oncall', 'network.operations.team', 'helpdesk', 'jane.smith', 'backup-reports', 'security-incident-response-distribution-list']
const domains = ['example.com', 'example.org', 'subsidiary-holdings-international.example.net', 'legacy-crm.example.com', 'partner-logistics.example.de']
const batch = []
for (let i = 0; i < 2400; i++) {
  const to = `${teams[i % teams.length]}@${domains[i % domains.length]}`
  batch.push({ to: [to], subject: `[cluster01] ${['Tier 1 storage at 91%', 'Node 3 rebooted', 'Nightly backup finished', 'Certificate expires in 14 days'][i % 4]}`, text: 'Alert body' })
}
for (let i = 0; i < batch.length; i += 200) await engine.submit(batch.slice(i, i + 200))
const until = Date.now() + 120_000
while (engine.queueView.count('queued') + engine.queueView.count('active') > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200))

// The relay goes away: what follows waits in the queue, deferred with the reason.
await engine.call('settings.update', { settings: { ...settings, relayHost: 'smtp-relay.provider.example.net', relayPort: 587, useTls: true } })
await engine.call('settings.update', { settings: { ...settings, relayPort: 1 } })
const outage = []
for (let i = 0; i < 180; i++) outage.push({ to: [`${teams[i % teams.length]}@${domains[(i + 1) % 3]}`], subject: `[cluster01] VM snapshot ${i} completed on node ${1 + (i % 4)}`, text: 'x' })
await engine.submit(outage)
while (engine.queueView.count('queued') + engine.queueView.count('active') > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200))
const first = engine.queueView.list({ limit: 3 }).items
if (first[1]) await engine.call('queue.hold', { queueId: first[1].queueId })
await engine.call('settings.update', { settings: { ...settings, relayPort: 1, useSasl: true, username: 'cluster01@ops.example.com' }, password: 'app-password-1' })

const server = await startWebServer(engine, { staticDir: join(ROOT, 'dist', 'web') })
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
await page.goto(server.url)
const pages: [string, string][] = [
  ['dashboard', 'Dashboard'],
  ['edit-settings', 'Edit Settings'],
  ['send-test-email', 'Send Test Email'],
  ['mail-queue', 'Mail Queue'],
  ['delete-queue', 'Delete Queue'],
  ['flush-queue', 'Flush Queue'],
  ['mail-log', 'Mail Log'],
  ['logs', 'Logs'],
  ['todays-report', "Today's Report"],
  ['troubleshooting', 'Troubleshooting'],
]
for (const [file, name] of pages) {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).or(page.getByRole('navigation').getByRole('button', { name, exact: true })).first().click()
  await page.waitForTimeout(700)
  await page.screenshot({ path: join(OUT, `${file}.png`) })
  console.log(`docs/screenshots/${file}.png`)
}
// A test send that fails, with its explanation.
await page.getByRole('navigation').getByRole('link', { name: 'Send Test Email', exact: true }).or(page.getByRole('navigation').getByRole('button', { name: 'Send Test Email', exact: true })).first().click()
await page.getByLabel('Email address').fill('jane.smith@example.com')
await page.getByRole('button', { name: 'Send', exact: true }).click()
await page.waitForTimeout(2500)
await page.screenshot({ path: join(OUT, 'send-test-email-failed.png') })
console.log('docs/screenshots/send-test-email-failed.png')

await browser.close()
await server.close()
await engine.close()
await new Promise<void>((r) => smtp.close(() => r()))
rmSync(dataDir, { recursive: true, force: true })
