import { rmSync } from 'node:fs'
import { startDns, type TestDns } from '../helpers/dns.ts'
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts'
import { selfSignedCert } from '../helpers/tls.ts'
import { expect, startConsole, stopConsole, test, type ConsoleServer } from './fixtures.ts'
import { menu } from './relay.ts'

// Troubleshooting in Chromium against `npm run serve`: a relay that offers only
// STARTTLS while the settings say implicit TLS is a problem with its fix; "Fix"
// leads to TLS mode, focused; once it is set there, the checks pass relay.tls.
// The engine's DNS is a dns2 server on loopback, so no check leaves the machine.

const SEEN_AS = '192.0.2.10'

let dns: TestDns
let relay: TestSmtp
test.beforeAll(async () => {
  dns = await startDns({
    'console.example.test': { A: [SEEN_AS] },
    '10.2.0.192.in-addr.arpa': { PTR: ['console.example.test'] },
    'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }], TXT: [`v=spf1 ip4:${SEEN_AS} -all`] },
    '_dmarc.example.test': { TXT: ['v=DMARC1; p=quarantine'] },
    'mx.example.test': { A: ['192.0.2.20'] },
  })
  // STARTTLS only; its EHLO reply names the address a relay on the Internet would see.
  relay = await startSmtp({ tls: 'starttls', serverOptions: { heloResponse: `%s Nice to meet you, [${SEEN_AS}]` } })
})
test.afterAll(async () => {
  await relay.close()
  await dns.close()
})

async function withConsole(request: Parameters<typeof startConsole>[0], use: (server: ConsoleServer) => Promise<void>) {
  const { server, child } = await startConsole(request, undefined, { SMTP_CONSOLE_DNS_SERVERS: dns.server })
  try {
    await use(server)
  } finally {
    await stopConsole(child)
    rmSync(server.dataDir, { recursive: true, force: true })
  }
}

test('implicit TLS against a STARTTLS relay is a problem with its fix; Fix leads to TLS mode, and once set the checks pass', async ({ page, request }) => {
  await withConsole(request, async (server) => {
    const current = await server.api<{ settings: Record<string, unknown> }>('settings.get')
    await server.api('settings.update', {
      settings: { ...current.settings, hostname: 'console.example.test', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: relay.port, useTls: true, tlsMode: 'implicit', caPem: selfSignedCert().cert },
    })
    await page.goto(server.url)
    await menu(page, 'Troubleshooting').click()

    const tls = page.locator('[data-check="relay.tls"]')
    await expect(tls).toContainText('Problem')
    await expect(tls).toContainText(`Port ${relay.port} offers STARTTLS but the settings use implicit TLS`)
    await expect(tls).toContainText('What to do: Set TLS mode to STARTTLS')
    await expect(page.getByRole('status').filter({ hasText: /problem/ })).toBeVisible()
    // The DNS checks judged the address the relay saw, through the test DNS server.
    await expect(page.locator('[data-check="dns.ptr"]')).toContainText(`${SEEN_AS} has reverse DNS console.example.test`)

    await tls.getByRole('link', { name: 'Fix: open TLS mode in Edit Settings' }).click()
    await expect(page).toHaveURL(/#\/settings\?focus=tlsMode$/)
    const mode = page.getByLabel('Use TLS')
    await expect(mode).toBeFocused()
    await mode.selectOption({ label: 'STARTTLS — port 587' })
    await page.getByRole('button', { name: 'Submit' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()

    await menu(page, 'Troubleshooting').click()
    await page.getByRole('button', { name: 'Run checks' }).click()
    await expect(tls).toContainText('Passed')
    await expect(tls).toContainText(`Port ${relay.port} offers STARTTLS, as the settings use it`)
    await expect(page.locator('[data-check="relay.sender"]')).toContainText('Passed')
    // Checking never sends a message.
    expect(relay.received).toEqual([])
  })
})
