// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../../src/shared/settings.ts'
import { createFakeApi } from '../../fake-api.ts'
import { renderConsole } from '../../render.tsx'

// The Sign-in method under Use SASL Authorization: each method shows its own
// fields, secrets read "set" or "not set" like the Password, and only the
// chosen method's secrets are sent.

const relay = { ...DEFAULT_SETTINGS, hostname: 'mail.example.com', fromAddress: 'alerts@example.com', relayHost: 'smtp.office365.com', relayPort: 587, useTls: true, useSasl: true, username: 'alerts@example.com' }

async function open(view = {}) {
  const fake = createFakeApi({ view: { settings: relay, ...view } })
  renderConsole(fake, '#/settings')
  await screen.findByLabelText('Hostname')
  return { fake, user: userEvent.setup() }
}

describe('Sign-in method', () => {
  it('Microsoft 365 with a client secret: its fields replace the Password, and Submit sends the secret, not a password', async () => {
    const { fake, user } = await open({ hasPassword: true })
    expect(screen.getByText('A password is set.')).toBeTruthy()
    await user.selectOptions(screen.getByLabelText('Sign-in method'), 'oauth-microsoft')
    expect(screen.queryByText('A password is set.')).toBeNull()
    expect(screen.queryByLabelText('Replace password')).toBeNull()

    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await waitFor(() => expect(screen.getByLabelText('Tenant ID').getAttribute('aria-invalid')).toBe('true'))
    expect(screen.getByLabelText('Client secret').getAttribute('aria-invalid')).toBe('true')
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    await user.type(screen.getByLabelText('Tenant ID'), '72f988bf-86f1-41af-91ab-2d7cd011db47')
    await user.type(screen.getByLabelText('Client ID'), '00001111-aaaa-2222-bbbb-3333cccc4444')
    await user.type(screen.getByLabelText('Client secret'), 'app-secret-value')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    const [sent] = fake.callsOf('settings.update')
    expect(sent).toMatchObject({ settings: { authMethod: 'oauth-microsoft', oauthTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }, clientSecret: 'app-secret-value' })
    expect(sent).not.toHaveProperty('password')
    // Saved: the secret is never shown again, only that one is set.
    expect(screen.getByText(/A client secret is set\./)).toBeTruthy()
    expect(screen.getByLabelText<HTMLInputElement>('Replace client secret').value).toBe('')
  })

  it('Microsoft 365 with a certificate asks for the certificate and its private key', async () => {
    const { user } = await open({ settings: { ...relay, authMethod: 'oauth-microsoft' } })
    await user.selectOptions(screen.getByLabelText('Client credential'), 'certificate')
    expect(screen.getByLabelText('Certificate')).toBeTruthy()
    expect(screen.getByLabelText('Private key')).toBeTruthy()
    expect(screen.queryByLabelText('Client secret')).toBeNull()
  })

  it('Google shows the saved service account, and another provider its Token URL and Scope', async () => {
    const { fake, user } = await open({
      settings: { ...relay, authMethod: 'oauth-google' },
      oauth: { microsoft: { hasClientSecret: true, hasPrivateKey: false }, google: { serviceAccount: 'smtp@p.iam.gserviceaccount.com' }, custom: { hasClientSecret: false } },
    })
    expect(screen.getByText(/A key of smtp@p\.iam\.gserviceaccount\.com is set\./)).toBeTruthy()
    await user.selectOptions(screen.getByLabelText('Sign-in method'), 'oauth-custom')
    expect(screen.getByLabelText('Token URL')).toBeTruthy()
    expect(screen.getByLabelText('Scope')).toBeTruthy()
    // Microsoft's saved secret is not this provider's: it must be entered.
    expect(screen.getByLabelText('Client secret')).toBeTruthy()
    await user.type(screen.getByLabelText('Token URL'), 'http://idp.example.test/token')
    await user.type(screen.getByLabelText('Client ID'), 'console')
    await user.type(screen.getByLabelText('Client secret'), 'gw-secret')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await waitFor(() => expect(screen.getByLabelText('Token URL').getAttribute('aria-invalid')).toBe('true'))
    expect(fake.callsOf('settings.update')).toHaveLength(0)
  })
})
