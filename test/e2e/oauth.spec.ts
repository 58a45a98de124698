import { rmSync } from 'node:fs'
import { expect, startConsole, stopConsole, test } from './fixtures.ts'
import { menu } from './relay.ts'
import { startTokenEndpoint, xoauth2Login } from '../helpers/oauth.ts'
import { startSmtp } from '../helpers/smtp.ts'
import { selfSignedCert } from '../helpers/tls.ts'

// An admin moves the relay from a password to Microsoft 365's OAuth 2.0
// app-only sign-in in Edit Settings, and the test email goes through: the
// console asks a real token endpoint on loopback (SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE,
// test-only) and signs in to a real STARTTLS relay that accepts only its tokens.

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444'
const SECRET = 'Qx8~app-secret-Ew2vN0tInAnyFile'

test('pick Microsoft 365 sign-in, fill it in, Submit, and Send Test Email delivers through the token endpoint', async ({ page, request }) => {
  const endpoint = await startTokenEndpoint({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET })
  const logins: { user: string; token: string }[] = []
  const relay = await startSmtp({ tls: 'starttls', authMethods: ['XOAUTH2'], onAuth: xoauth2Login(endpoint, '535', logins) })
  process.env.SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE = endpoint.base
  const { server, child } = await startConsole(request)
  delete process.env.SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE
  try {
    await page.goto(server.url)
    await menu(page, 'Edit Settings').click()
    await page.getByLabel('Hostname').fill('console.example.test')
    await page.getByLabel('From Address').fill('alerts@contoso.example')
    await page.getByLabel('Relay Host').fill('127.0.0.1')
    await page.getByLabel('Relay Port').fill(String(relay.port))
    await page.getByLabel('Use TLS').selectOption('auto')
    await page.getByLabel('Use SASL Authorization').check()
    await page.getByLabel('Sign-in method').selectOption({ label: 'OAuth 2.0 — Microsoft 365 (app-only)' })
    await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0)
    await page.getByLabel('Username', { exact: true }).fill('alerts@contoso.example')
    await page.getByLabel('Tenant ID').fill(TENANT)
    await page.getByLabel('Client ID').fill(CLIENT)
    await page.getByLabel('Client secret').fill(SECRET)
    await page.getByText('Advanced').click()
    await page.getByLabel('CA certificate').fill(selfSignedCert().cert)
    await page.getByRole('button', { name: 'Submit' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()
    await expect(page.getByText('A client secret is set.', { exact: false })).toBeVisible()
    await expect(page.getByLabel('Replace client secret')).toHaveValue('')

    await menu(page, 'Send Test Email').click()
    await page.getByLabel('Email address').fill('admin@example.net')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect(page.getByText(`Sent: Delivered to admin@example.net via 127.0.0.1[127.0.0.1]:${relay.port}`)).toBeVisible()
    expect(relay.received).toHaveLength(1)
    expect(relay.received[0]!.user).toBe('alerts@contoso.example')
    expect(logins).toEqual([{ user: 'alerts@contoso.example', token: endpoint.issued[0]!.token }])

    await page.getByRole('button', { name: 'Show SMTP transcript' }).click()
    await expect(page.getByText('C: AUTH XOAUTH2 <redacted>')).toBeVisible()
    await expect(page.locator('body')).not.toContainText(endpoint.issued[0]!.token)
    const settings = JSON.stringify(await server.api('settings.get'))
    expect(settings).not.toContain(SECRET)
  } finally {
    await stopConsole(child)
    rmSync(server.dataDir, { recursive: true, force: true })
    await relay.close()
    await endpoint.close()
  }
})
