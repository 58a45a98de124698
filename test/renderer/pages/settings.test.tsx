// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

async function openSettings(fake = createFakeApi()) {
  renderConsole(fake, '#/settings')
  await screen.findByLabelText('Hostname')
  return { fake, user: userEvent.setup() }
}

function describedText(input: HTMLElement): string {
  return (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ')
}

describe('Edit Settings', () => {
  it('has the seed labels and the collapsed Advanced section', async () => {
    await openSettings()
    for (const label of ['Use TLS', 'Hostname', 'From Name', 'From Address', 'Relay Host', 'Relay Port', 'Use SASL Authorization', 'Username', 'Password']) {
      expect(screen.getByLabelText(label)).toBeTruthy()
    }
    const advanced = screen.getByText('Advanced').closest('details')!
    expect(advanced.open).toBe(false)
    expect(screen.getByLabelText<HTMLInputElement>('Maximal queue lifetime (days)').value).toBe('5')
    expect(screen.getByLabelText<HTMLInputElement>('Message size limit (MiB)').value).toBe('10')
    // SASL off: its credentials cannot be typed.
    expect(screen.getByLabelText<HTMLInputElement>('Username').disabled).toBe(true)
    expect(screen.getByLabelText<HTMLInputElement>('Password').disabled).toBe(true)
  })

  it('shows field errors from the shared schema before Submit and sends nothing', async () => {
    const { fake, user } = await openSettings()
    const hostname = screen.getByLabelText('Hostname')
    await user.clear(hostname)
    await user.type(hostname, 'mailhost')
    await user.clear(screen.getByLabelText('Relay Port'))
    await user.type(screen.getByLabelText('Relay Port'), '587')
    await user.click(screen.getByRole('checkbox', { name: 'Use SASL Authorization' }))
    await user.click(screen.getByRole('button', { name: 'Submit' }))

    await waitFor(() => expect(hostname.getAttribute('aria-invalid')).toBe('true'))
    expect(describedText(hostname)).toContain('Hostname must be a fully qualified domain name')
    const port = screen.getByLabelText('Relay Port')
    expect(port.getAttribute('aria-invalid')).toBe('true')
    expect(describedText(port)).toContain('Leave Relay Port blank for direct sending')
    expect(describedText(screen.getByLabelText('Username'))).toContain('Enter the Username')
    expect(fake.callsOf('settings.update')).toHaveLength(0)
    expect(screen.queryByText('Settings saved.')).toBeNull()
  })

  it('opens Advanced to show an error there and converts days back to seconds', async () => {
    const { fake, user } = await openSettings()
    await user.click(screen.getByText('Advanced'))
    const lifetime = screen.getByLabelText('Maximal queue lifetime (days)')
    await user.clear(lifetime)
    await user.type(lifetime, '31')
    await user.click(screen.getByText('Advanced'))
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await waitFor(() => expect(describedText(lifetime)).toContain('at most 30 days'))
    expect(lifetime.closest('details')!.open).toBe(true)
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    await user.clear(lifetime)
    await user.type(lifetime, '2.5')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    expect(fake.callsOf('settings.update')[0]!.settings.maxQueueLifetimeSec).toBe(216_000)
  })

  it('shows the field errors main sends back', async () => {
    const { fake, user } = await openSettings()
    fake.handle('settings.update', () => ({
      ok: false,
      error: { code: 'invalid_request', message: 'Some fields need attention.', fields: { relayHost: 'Relay Host does not resolve: no such host relay.invalid.' } },
    }))
    await user.type(screen.getByLabelText('Relay Host'), 'relay.invalid')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    const relayHost = screen.getByLabelText('Relay Host')
    await waitFor(() => expect(relayHost.getAttribute('aria-invalid')).toBe('true'))
    expect(describedText(relayHost)).toContain('Relay Host does not resolve')
    expect(fake.callsOf('settings.update')).toHaveLength(1)
    expect(screen.queryByText('Settings saved.')).toBeNull()
  })

  it('saves and says so; the blank relay port hint follows Use TLS', async () => {
    const { fake, user } = await openSettings()
    await user.type(screen.getByLabelText('Relay Host'), 'smtp.example.net')
    expect(screen.getByText(/blank = 25 with STARTTLS when offered/)).toBeTruthy()
    await user.selectOptions(screen.getByLabelText('Use TLS'), 'STARTTLS — port 587')
    expect(screen.getByText(/blank = 587 with STARTTLS/)).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    const [request] = fake.callsOf('settings.update')
    expect(request!.settings).toMatchObject({ relayHost: 'smtp.example.net', relayPort: null, useTls: true })
  })

  describe('hints follow the form, not what was saved', () => {
    it('Use TLS is one choice whose hint and port follow what is picked', async () => {
      const { fake, user } = await openSettings()
      await user.type(screen.getByLabelText('Relay Host'), 'smtp.example.net')
      const tls = screen.getByLabelText<HTMLSelectElement>('Use TLS')
      expect(tls.value).toBe('none')
      expect(describedText(tls)).toContain('No encryption required')
      expect(describedText(tls)).not.toContain('STARTTLS when offered')
      await user.selectOptions(tls, 'Implicit TLS — port 465')
      expect(describedText(tls)).toContain('TLS from the first byte')
      expect(describedText(tls)).not.toMatch(/Automatic/)
      expect(describedText(screen.getByLabelText('Relay Port'))).toContain('blank = 465 with implicit TLS')
      // No second TLS control is left to contradict the first.
      expect(screen.queryByLabelText('TLS mode')).toBeNull()
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ useTls: true, tlsMode: 'implicit' })
    })

    it('a saved mode under Use TLS off reads None, and None saves Use TLS off', async () => {
      const fake = createFakeApi({ view: { settings: { ...createFakeApi().view.settings, relayHost: 'relay.example.com', useTls: true, tlsMode: 'starttls' } } })
      const { user } = await openSettings(fake)
      const tls = screen.getByLabelText<HTMLSelectElement>('Use TLS')
      expect(tls.value).toBe('starttls')
      expect(describedText(tls)).toContain('must switch with STARTTLS')
      await user.selectOptions(tls, 'none')
      expect(describedText(tls)).toContain('No encryption required')
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ useTls: false })
    })

    it('"No password is set." goes once a password is typed', async () => {
      const { user } = await openSettings()
      await user.click(screen.getByRole('checkbox', { name: 'Use SASL Authorization' }))
      const password = screen.getByLabelText('Password')
      expect(describedText(password)).toContain('No password is set.')
      await user.type(password, 's3cret')
      expect(describedText(password)).not.toContain('No password is set.')
      expect(describedText(password)).toContain('Saved when you Submit')
    })
  })

  describe('the password and TLS', () => {
    const SASL_WARNING = /Use TLS is off: the Password is sent only if the relay offers STARTTLS and, with Verify certificate on, its certificate verifies/

    it('warns before Submit while Use SASL Authorization is on and Use TLS is off', async () => {
      const { fake, user } = await openSettings()
      await user.type(screen.getByLabelText('Relay Host'), 'smtp.example.net')
      expect(screen.queryByText(SASL_WARNING)).toBeNull()
      await user.click(screen.getByRole('checkbox', { name: 'Use SASL Authorization' }))
      expect(screen.getByText(SASL_WARNING)).toBeTruthy()
      await user.selectOptions(screen.getByLabelText('Use TLS'), 'starttls')
      expect(screen.queryByText(SASL_WARNING)).toBeNull()
      await user.selectOptions(screen.getByLabelText('Use TLS'), 'none')
      expect(screen.getByText(SASL_WARNING)).toBeTruthy()
      expect(fake.callsOf('settings.update')).toHaveLength(0)
    })

    it('has Allow password without TLS (unsafe) under Advanced, off by default, and says what it does when on', async () => {
      const { fake, user } = await openSettings()
      await user.type(screen.getByLabelText('Relay Host'), 'smtp.example.net')
      await user.click(screen.getByRole('checkbox', { name: 'Use SASL Authorization' }))
      await user.type(screen.getByLabelText('Username'), 'mailer')
      await user.type(screen.getByLabelText('Password'), 'p4ss')
      const unsafe = screen.getByRole<HTMLInputElement>('checkbox', { name: 'Allow password without TLS (unsafe)' })
      expect(unsafe.closest('details')).toBeTruthy()
      expect(unsafe.checked).toBe(false)
      await user.click(screen.getByText('Advanced'))
      await user.click(unsafe)
      expect(screen.queryByText(SASL_WARNING)).toBeNull()
      expect(screen.getByText(/Allow password without TLS \(unsafe\) is on: a relay that offers no STARTTLS gets the Username and Password in clear/)).toBeTruthy()
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ useSasl: true, useTls: false, allowPlainAuth: true })
    })

    it('warns for as long as Verify certificate is off, in Edit Settings and on the dashboard', async () => {
      const fake = createFakeApi({ view: { settings: { ...createFakeApi().view.settings, relayHost: 'relay.example.com', useTls: true, verifyCertificate: false } } })
      const NO_VERIFY = /Verify certificate is off: server certificates are not checked/
      renderConsole(fake)
      await screen.findByText('Relay relay.example.com:25')
      expect(screen.getByText(NO_VERIFY)).toBeTruthy()
      expect(screen.queryByText(/Allow password without TLS \(unsafe\) is on/)).toBeNull()
      const user = userEvent.setup()
      await user.click(screen.getByRole('link', { name: 'Edit Settings' }))
      await screen.findByLabelText('Hostname')
      // Shown with Advanced collapsed, where the switch itself is.
      expect(screen.getByText('Advanced').closest('details')!.open).toBe(false)
      expect(screen.getByText(NO_VERIFY)).toBeTruthy()
      await user.click(screen.getByText('Advanced'))
      await user.click(screen.getByRole('checkbox', { name: 'Verify certificate' }))
      expect(screen.queryByText(NO_VERIFY)).toBeNull()
    })
    it('warns on the dashboard while the password may go in clear', async () => {
      const settings = { ...createFakeApi().view.settings, relayHost: 'relay.example.com', useSasl: true, username: 'mailer', allowPlainAuth: true }
      renderConsole(createFakeApi({ view: { settings, hasPassword: true } }))
      await screen.findByText('Relay relay.example.com:25')
      expect(screen.getByText(/Allow password without TLS \(unsafe\) is on: a relay that offers no STARTTLS gets the Username and Password in clear/)).toBeTruthy()
      expect(screen.queryByText(/Verify certificate is off/)).toBeNull()
    })
  })

  describe('the write-only password', () => {
    const withPassword = () =>
      createFakeApi({
        view: {
          settings: { ...createFakeApi().view.settings, relayHost: 'relay.example.com', useSasl: true, username: 'mailer' },
          hasPassword: true,
        },
      })

    it('keeps the saved password when untouched', async () => {
      const { fake, user } = await openSettings(withPassword())
      expect(screen.getByText('A password is set.')).toBeTruthy()
      expect(screen.getByLabelText<HTMLInputElement>('Replace password').value).toBe('')
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      const [request] = fake.callsOf('settings.update')
      expect(request!.password).toBeUndefined()
      expect('password' in request!).toBe(false)
    })

    it('clears it with Clear password', async () => {
      const { fake, user } = await openSettings(withPassword())
      await user.click(screen.getByRole('checkbox', { name: 'Clear password' }))
      expect(screen.getByLabelText<HTMLInputElement>('Replace password').disabled).toBe(true)
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.password).toBeNull()
      // Once cleared, the form offers a plain Password field again.
      expect(await screen.findByLabelText('Password')).toBeTruthy()
      expect(screen.queryByText('A password is set.')).toBeNull()
    })

    it('replaces it with what is typed, and never shows it', async () => {
      const { fake, user } = await openSettings(withPassword())
      await user.type(screen.getByLabelText('Replace password'), 's3cret pass')
      await user.click(screen.getByRole('button', { name: 'Submit' }))
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.password).toBe('s3cret pass')
      expect(screen.getByLabelText<HTMLInputElement>('Replace password').value).toBe('')
    })
  })
})
