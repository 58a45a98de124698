// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// The Provider picker on Edit Settings: it fills the relay fields, and never
// replaces what the admin entered without a confirm whose Cancel keeps it all.

async function openSettings(fake = createFakeApi()) {
  renderConsole(fake, '#/settings')
  await screen.findByLabelText('Hostname')
  return { fake, user: userEvent.setup() }
}

const field = (label: string) => screen.getByLabelText<HTMLInputElement>(label)
const picker = () => screen.getByLabelText<HTMLSelectElement>('Provider')

/** The relay fields as the form shows them. */
function relayFields() {
  return {
    relayHost: field('Relay Host').value,
    relayPort: field('Relay Port').value,
    useTls: screen.getByLabelText<HTMLSelectElement>('Use TLS').value !== 'none',
    tlsMode: screen.getByLabelText<HTMLSelectElement>('Use TLS').value,
    useSasl: screen.getByRole<HTMLInputElement>('checkbox', { name: 'Use SASL Authorization' }).checked,
    username: field('Username').value,
  }
}

describe('Provider presets on Edit Settings', () => {
  it('on a fresh console fills the relay fields at once, shows the setup, and Submit saves them', async () => {
    const { fake, user } = await openSettings()
    expect(picker().value).toBe('custom')
    await user.selectOptions(picker(), 'SendGrid')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(relayFields()).toEqual({ relayHost: 'smtp.sendgrid.net', relayPort: '587', useTls: true, tlsMode: 'starttls', useSasl: true, username: 'apikey' })
    const setup = screen.getByRole('region', { name: 'SendGrid setup' })
    expect(setup.textContent).toMatch(/Mail Send permission/)
    expect(within(setup).getByRole('link', { name: 'Source' }).getAttribute('href')).toMatch(/^https:\/\/www\.twilio\.com\//)

    await user.type(field('Password'), 'SG.key')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    const [request] = fake.callsOf('settings.update')
    expect(request!.settings).toMatchObject({ relayHost: 'smtp.sendgrid.net', relayPort: 587, useTls: true, tlsMode: 'starttls', useSasl: true, username: 'apikey' })
    expect(request!.password).toBe('SG.key')
  })

  it('asks before replacing what the admin typed; Cancel keeps every field', async () => {
    const { fake, user } = await openSettings()
    await user.type(field('Relay Host'), 'mail.corp.example')
    await user.type(field('Relay Port'), '2525')
    const before = relayFields()

    await user.selectOptions(picker(), 'Postmark')
    const dialog = await screen.findByRole('dialog', { name: 'Use the Postmark settings?' })
    const listed = within(dialog)
      .getAllByRole('listitem')
      .map((li) => li.textContent)
    expect(listed).toEqual([
      'Relay Host: mail.corp.example → smtp.postmarkapp.com',
      'Relay Port: 2525 → 587',
      'Use TLS: off → on',
      'TLS mode: Automatic by port → STARTTLS',
      'Use SASL Authorization: off → on',
    ])
    // Cancel has the focus: Enter alone does no harm.
    expect(document.activeElement?.textContent).toBe('Cancel')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))

    expect(screen.queryByRole('dialog')).toBeNull()
    expect(relayFields()).toEqual(before)
    expect(picker().value).toBe('custom')
    expect(screen.queryByRole('region', { name: 'Postmark setup' })).toBeNull()
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    // Asked again, the admin may accept.
    await user.selectOptions(picker(), 'Postmark')
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Replace with Postmark' }))
    expect(relayFields()).toMatchObject({ relayHost: 'smtp.postmarkapp.com', relayPort: '587', useTls: true, tlsMode: 'starttls', useSasl: true })
    expect(picker().value).toBe('postmark')
  })

  it('counts saved settings as the admin’s, and recognises their provider', async () => {
    const fake = createFakeApi()
    fake.view = { ...fake.view, settings: { ...fake.view.settings, relayHost: 'smtp.sendgrid.net', relayPort: 587, useTls: true, useSasl: true, username: 'apikey' } }
    const { user } = await openSettings(fake)
    expect(picker().value).toBe('sendgrid')
    await user.selectOptions(picker(), 'Mailgun')
    const dialog = await screen.findByRole('dialog')
    expect(dialog.textContent).toContain('Relay Host: smtp.sendgrid.net → smtp.mailgun.org')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(relayFields()).toMatchObject({ relayHost: 'smtp.sendgrid.net', username: 'apikey' })
    expect(picker().value).toBe('sendgrid')
  })

  it('moves between presets without asking while nothing was typed, and keeps a typed Username', async () => {
    const { user } = await openSettings()
    await user.selectOptions(picker(), 'SendGrid')
    await user.selectOptions(picker(), 'Mailgun')
    expect(screen.queryByRole('dialog')).toBeNull()
    // SendGrid's fixed "apikey" is no one's Username at Mailgun.
    expect(relayFields()).toMatchObject({ relayHost: 'smtp.mailgun.org', username: '' })

    await user.type(field('Username'), 'postmaster@mg.example.com')
    await user.selectOptions(picker(), 'SendGrid')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(relayFields()).toMatchObject({ relayHost: 'smtp.sendgrid.net', username: 'postmaster@mg.example.com' })

    await user.selectOptions(picker(), 'Custom')
    expect(relayFields()).toMatchObject({ relayHost: 'smtp.sendgrid.net', username: 'postmaster@mg.example.com' })
    expect(screen.queryByRole('region', { name: /setup$/ })).toBeNull()
  })

  it('picks the provider’s recommended Sign-in method: OAuth for Microsoft 365, Password for SendGrid', async () => {
    const { fake, user } = await openSettings()
    const method = () => screen.getByLabelText<HTMLSelectElement>('Sign-in method').value
    await user.selectOptions(picker(), 'Microsoft 365')
    expect(method()).toBe('oauth-microsoft')
    expect(screen.getByLabelText('Tenant ID')).toBeTruthy()
    await user.selectOptions(picker(), 'SendGrid')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(method()).toBe('password')
    await user.type(field('Password'), 'SG.key')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ authMethod: 'password', relayHost: 'smtp.sendgrid.net' })
  })

  it('selects a template’s placeholder in Relay Host; the region list completes it', async () => {
    const { fake, user } = await openSettings()
    await user.selectOptions(picker(), 'Amazon SES')
    const host = field('Relay Host')
    expect(host.value).toBe('email-smtp.<region>.amazonaws.com')
    await waitFor(() => expect(document.activeElement).toBe(host))
    expect(host.value.slice(host.selectionStart!, host.selectionEnd!)).toBe('<region>')
    expect(screen.getByRole('note').textContent).toMatch(/Replace <region> in Relay Host, as in email-smtp\.us-east-1\.amazonaws\.com, or choose the AWS Region/)

    // Unfinished, it cannot be saved.
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await waitFor(() => expect(host.getAttribute('aria-invalid')).toBe('true'))
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    await user.selectOptions(screen.getByLabelText('AWS Region'), 'Europe (Ireland) — eu-west-1')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(host.value).toBe('email-smtp.eu-west-1.amazonaws.com')
    expect(screen.queryByText(/Replace <region>/)).toBeNull()

    await user.selectOptions(picker(), 'Microsoft 365 relay connector')
    await waitFor(() => expect(host.value.slice(host.selectionStart!, host.selectionEnd!)).toBe('<tenant>-<tld>'))
    expect(relayFields()).toMatchObject({ relayPort: '25', useTls: true, useSasl: false })
    await user.keyboard('contoso-com')
    expect(host.value).toBe('contoso-com.mail.protection.outlook.com')
  })
})
