// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it } from 'vitest'
import type { SettingsChange } from '../../../src/shared/api.ts'
import type { SettingsView } from '../../../src/shared/settings.ts'
import type { SystemInfo } from '../../../src/shared/systems.ts'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// Edit Settings on a Postfix system: main.cf's changed lines before they are
// applied, Apply or Cancel, Undo last save, and no field the server refuses.
// The server side (postconf, the kept main.cf) is tested on a real Postfix in
// test/postfix/settings and test/e2e/postfix-settings.spec.ts.

const WHERE = 'admin@mail1.example.net:22'
const SYSTEMS: SystemInfo[] = [
  { id: 'local', name: 'This computer', kind: 'embedded', where: 'this computer' },
  { id: 'mail-1', name: 'mail1', kind: 'postfix', where: WHERE },
]
const MAP = '/etc/postfix/smtp_console_sasl_passwd'

afterEach(() => window.history.replaceState(null, '', '/'))

/** The console on `system` (its address's ?system=), over a fake whose Postfix previews relayhost from Relay Port. */
async function openOn(system: string | null, preview?: (changes: SettingsChange[]) => SettingsChange[]) {
  window.history.replaceState(null, '', system ? `/?system=${system}` : '/')
  const fake = createFakeApi({
    view: { settings: { ...createFakeApi().view.settings, relayHost: 'smtp.example.net', relayPort: 587, useTls: true, useSasl: true, username: 'ops' }, hasPassword: true },
  })
  const saved: SettingsView[] = []
  fake.handle('systems.list', () => ({ ok: true, data: { systems: SYSTEMS } }))
  fake.handle('settings.preview', (r) => {
    const changes: SettingsChange[] = []
    if (r.settings.relayPort !== fake.view.settings.relayPort) changes.push({ name: 'relayhost', from: '[smtp.example.net]:587', to: `[smtp.example.net]:${r.settings.relayPort}` })
    if (r.password) changes.push({ name: MAP, from: '[smtp.example.net]:587 ops (password set)', to: '[smtp.example.net]:587 ops (new password)' })
    return { ok: true, data: { changes: preview ? preview(changes) : changes } }
  })
  // The fake keeps what each save replaced, as the server keeps main.cf aside.
  const update = fake.api['settings.update']
  fake.api['settings.update'] = async (r) => {
    saved.push(structuredClone(fake.view))
    return update(r)
  }
  fake.handle('settings.undo', () => {
    const before = saved.pop()
    if (!before) return { ok: false, error: { code: 'conflict', message: `Nothing to undo: SMTP Console has not changed main.cf on ${WHERE} since its last undo.` } }
    fake.view = before
    return { ok: true, data: before }
  })
  renderConsole(fake, '#/settings')
  await screen.findByLabelText('Hostname')
  return { fake, user: userEvent.setup() }
}

async function setRelayPort(user: ReturnType<typeof userEvent.setup>, port: string) {
  await user.clear(screen.getByLabelText('Relay Port'))
  await user.type(screen.getByLabelText('Relay Port'), port)
}

function describedText(input: HTMLElement): string {
  return (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ')
}

describe('Edit Settings on a Postfix system', () => {
  it('shows the main.cf lines first: Cancel changes nothing, Apply saves', async () => {
    const { fake, user } = await openOn('mail-1')
    await setRelayPort(user, '2525')
    await user.type(screen.getByLabelText('Replace password'), 'Another-pass-77')
    await user.click(screen.getByRole('button', { name: 'Submit' }))

    let dialog = await screen.findByRole('dialog', { name: `Apply these changes to main.cf on ${WHERE}?` })
    const relayhost = within(dialog).getByRole('row', { name: /relayhost/ })
    expect(relayhost.textContent).toContain('[smtp.example.net]:587')
    expect(relayhost.textContent).toContain('[smtp.example.net]:2525')
    // The password map's line says a new password is set, never the password.
    const map = within(dialog).getByRole('row', { name: new RegExp(MAP) })
    expect(map.textContent).toContain('(new password)')
    expect(dialog.textContent).not.toContain('Another-pass-77')
    expect(fake.callsOf('settings.preview')[0]!.settings.relayPort).toBe(2525)
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('settings.update')).toHaveLength(0)
    expect(screen.queryByText('Settings saved.')).toBeNull()
    expect(screen.queryByRole('button', { name: 'Undo last save' })).toBeNull()

    await user.click(screen.getByRole('button', { name: 'Submit' }))
    dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }))
    await screen.findByText('Settings saved.')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('settings.update')).toEqual([expect.objectContaining({ password: 'Another-pass-77', settings: expect.objectContaining({ relayPort: 2525 }) })])
  })

  it('Undo last save asks first, puts the settings back and says so', async () => {
    const { fake, user } = await openOn('mail-1')
    await setRelayPort(user, '2525')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Apply' }))
    await screen.findByText('Settings saved.')

    await user.click(screen.getByRole('button', { name: 'Undo last save' }))
    let confirm = await screen.findByRole('dialog', { name: `Undo the last save on ${WHERE}?` })
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }))
    expect(fake.callsOf('settings.undo')).toHaveLength(0)

    await user.click(screen.getByRole('button', { name: 'Undo last save' }))
    confirm = await screen.findByRole('dialog')
    await user.click(within(confirm).getByRole('button', { name: 'Undo last save' }))
    await screen.findByText(`The last save was undone: main.cf on ${WHERE} is as it was before it.`)
    expect(fake.callsOf('settings.undo')).toHaveLength(1)
    expect(screen.getByLabelText<HTMLInputElement>('Relay Port').value).toBe('587')
    // Undo puts back one save: there is nothing more to offer.
    expect(screen.queryByRole('button', { name: 'Undo last save' })).toBeNull()
  })

  it('an undo the server refuses is shown and changes nothing on the form', async () => {
    const { fake, user } = await openOn('mail-1')
    await setRelayPort(user, '2525')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Apply' }))
    await screen.findByText('Settings saved.')
    fake.handle('settings.undo', () => ({ ok: false, error: { code: 'conflict', message: `Nothing to undo: SMTP Console has not changed main.cf on ${WHERE} since its last undo.` } }))
    await user.click(screen.getByRole('button', { name: 'Undo last save' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Undo last save' }))
    expect((await screen.findByRole('alert')).textContent).toContain('Nothing to undo')
    expect(screen.getByLabelText<HTMLInputElement>('Relay Port').value).toBe('2525')
  })

  it('no changed line: says so and saves nothing', async () => {
    const { fake, user } = await openOn('mail-1')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText(`No changes to apply: main.cf on ${WHERE} already says this. Nothing was saved.`)
    expect(fake.callsOf('settings.preview')).toHaveLength(1)
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('settings.update')).toHaveLength(0)
  })

  it('From Name, which main.cf has no line for, is listed as kept by the console and saved on Apply', async () => {
    const { fake, user } = await openOn('mail-1')
    await user.type(screen.getByLabelText('From Name'), ' Alerts')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    const dialog = await screen.findByRole('dialog', { name: `Save these changes for ${WHERE}?` })
    expect(dialog.textContent).toContain('main.cf does not change.')
    expect(within(dialog).getByRole('row', { name: /From Name/ }).textContent).toContain('SMTP Console Alerts')
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }))
    await screen.findByText('Settings saved.')
    expect(fake.callsOf('settings.update')[0]!.settings.fromName).toBe('SMTP Console Alerts')
  })

  it('field errors from the server land under their fields, and nothing is saved', async () => {
    const { fake, user } = await openOn('mail-1')
    fake.handle('settings.preview', () => ({
      ok: false,
      error: { code: 'invalid_request', message: 'Some fields need attention.', fields: { username: 'On a Postfix server the Username must have no spaces or colons.' } },
    }))
    await user.type(screen.getByLabelText('Username'), ':x')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    const username = screen.getByLabelText('Username')
    await waitFor(() => expect(username.getAttribute('aria-invalid')).toBe('true'))
    expect(describedText(username)).toContain('must have no spaces or colons')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('settings.update')).toHaveLength(0)
  })

  it('offers none of the fields a Postfix server refuses or ignores', async () => {
    const { user } = await openOn('mail-1')
    await user.click(screen.getByText('Advanced'))
    // What main.cf holds stays: TLS, SASL, and the two Advanced switches that map to smtp_tls_security_level and smtp_sasl_security_options.
    for (const label of ['Use TLS', 'Hostname', 'From Name', 'From Address', 'Relay Host', 'Relay Port', 'Use SASL Authorization', 'Username', 'Verify certificate']) {
      expect(screen.getByLabelText(label)).toBeTruthy()
    }
    for (const label of ['Sign-in method', 'Sign with DKIM', 'Local submission', 'Maximal queue lifetime (days)', 'CA certificate', 'Public address']) {
      expect(screen.queryByLabelText(label)).toBeNull()
    }
    expect(screen.queryByRole('group', { name: 'Alerts' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Check connection' })).toBeNull()
    expect(screen.getByText(/retries, queue lifetime, concurrency, timeouts and the message size limit are Postfix’s own/)).toBeTruthy()
  })

  it('on this computer’s engine the form is as before: every field, and Submit saves at once', async () => {
    const { fake, user } = await openOn(null)
    await user.click(screen.getByText('Advanced'))
    for (const label of ['Sign-in method', 'Sign with DKIM', 'Local submission', 'Maximal queue lifetime (days)', 'CA certificate', 'Public address']) {
      expect(screen.getByLabelText(label)).toBeTruthy()
    }
    await setRelayPort(user, '2525')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    expect(fake.callsOf('settings.preview')).toHaveLength(0)
    expect(screen.queryByRole('button', { name: 'Undo last save' })).toBeNull()
  })
})
