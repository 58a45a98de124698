import { test, expect } from './fixtures.ts'
import { menu, startRelay } from './relay.ts'
import { startDns } from '../helpers/dns.ts'
import { verifyDkim } from '../helpers/dkim.ts'

// DKIM end to end, in Chromium against `npm run serve`: turn signing on in
// Edit Settings, generate a key, publish the record the page shows (on a DNS
// server on loopback), send a test email through a relay on loopback, and the
// message the relay received passes an independent DKIM verifier.

test('enable DKIM, generate a key, Submit, Send Test Email: the received message carries a DKIM-Signature that verifies', async ({ page, context, consoleServer }) => {
  const relay = await startRelay()
  try {
    const current = await consoleServer.api<{ settings: Record<string, unknown> }>('settings.get')
    await consoleServer.api('settings.update', {
      settings: { ...current.settings, hostname: 'console.example.test', fromName: 'Ops Console', fromAddress: 'alerts@example.test', relayHost: '127.0.0.1', relayPort: relay.port, useTls: false },
    })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.goto(consoleServer.url)
    await menu(page, 'Edit Settings').click()
    await page.getByText('Advanced').click()
    const dkim = page.getByRole('group', { name: 'DKIM' })
    await expect(dkim.getByText('No DKIM key is set.')).toBeVisible()
    await dkim.getByLabel('Sign with DKIM').check()
    await dkim.getByLabel('DKIM selector').fill('console1')
    await dkim.getByRole('button', { name: 'Generate key' }).click()
    await expect(dkim.getByText(/A new RSA 2048-bit key was generated/)).toBeVisible()

    const record = dkim.getByRole('region', { name: 'DNS record to publish' })
    await expect(record.getByTestId('dkim-record-name')).toHaveText('console1._domainkey.example.test')
    const value = (await record.getByTestId('dkim-record-value').textContent())!
    expect(value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/)
    await record.getByRole('button', { name: 'Copy value' }).click()
    await expect(record.getByText('Copied.').first()).toBeVisible()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value)

    await page.getByRole('button', { name: 'Submit' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()
    await expect(dkim.getByText('A key is set: RSA, 2048 bits. The private key is never shown.')).toBeVisible()
    const saved = await consoleServer.api<{ dkim: { record: { name: string; value: string } } }>('settings.get')
    expect(saved.dkim.record).toMatchObject({ name: 'console1._domainkey.example.test', value })

    await menu(page, 'Send Test Email').click()
    await page.getByLabel('Email address').fill('admin@example.net')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect(page.getByText(`Sent: Delivered to admin@example.net via 127.0.0.1[127.0.0.1]:${relay.port}`)).toBeVisible()
    expect(relay.received).toHaveLength(1)
    const raw = relay.received[0]!.raw
    expect(raw).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/)

    // Published as the page showed it, the record verifies the message the relay received.
    const dns = await startDns({ 'console1._domainkey.example.test': { TXT: [value] } })
    try {
      const [verdict] = await verifyDkim(raw, dns.server)
      expect(verdict).toMatchObject({ result: 'pass', domain: 'example.test', selector: 'console1', algorithm: 'rsa-sha256' })
      expect(verdict!.signedFields).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id']))
    } finally {
      await dns.close()
    }
  } finally {
    await relay.close()
  }
})
