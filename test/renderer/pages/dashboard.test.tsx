// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings.ts'
import type { Status } from '../../../src/shared/types.ts'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// The dashboard's lasting banners: what stops delivery stays on screen until it is fixed.

const FILE = '/home/admin/.local/share/smtp-console/settings.json'
const MESSAGE = `The settings file ${FILE} cannot be read as it was saved: this field is invalid: Relay Host (Relay Host must be a host name). Delivery is paused: queued mail stays queued and nothing is sent until valid settings are saved in Edit Settings. The file was left as it was.`

describe('the dashboard with a damaged settings file', () => {
  it('shows a banner naming the file and the field, says delivery is paused, and drops it once the status is clear', async () => {
    const fake = createFakeApi({ queue: 3 })
    let problem: Status['settingsProblem'] = { file: FILE, fields: ['Relay Host'], message: MESSAGE }
    const base = await fake.api['status.get']()
    if (!base.ok) throw new Error('the fake has no status')
    fake.handle('status.get', () => ({ ok: true, data: { ...base.data, settingsProblem: problem } }))
    renderConsole(fake)
    const banner = await screen.findByText(/The settings file is damaged/)
    const alert = banner.closest('[role="alert"]')!
    expect(alert.textContent).toContain(FILE)
    expect(alert.textContent).toContain('Relay Host')
    expect(alert.querySelector('a')!.getAttribute('href')).toBe('#/settings')
    expect(screen.getByText('Paused (settings file damaged)')).toBeTruthy()

    problem = null
    fake.emit('settings.changed', { fields: ['Relay Host'] })
    await waitFor(() => expect(screen.queryByText(/The settings file is damaged/)).toBeNull())
    expect(screen.getByText('Direct delivery')).toBeTruthy()
  })

  it('shows a lasting banner when the queue cannot be written', async () => {
    const fake = createFakeApi()
    const base = await fake.api['status.get']()
    if (!base.ok) throw new Error('the fake has no status')
    fake.handle('status.get', () => ({ ok: true, data: { ...base.data, storageProblem: 'The disk holding /srv/smtp-console is full.' } }))
    renderConsole(fake)
    const banner = await screen.findByText(/The queue cannot be written/)
    expect(banner.closest('[role="alert"]')!.textContent).toContain('The disk holding /srv/smtp-console is full.')
  })
})

describe('the dashboard with Use SASL Authorization on and Use TLS off', () => {
  it('says the password waits for the relay’s STARTTLS, for as long as the settings say so', async () => {
    const fake = createFakeApi()
    const base = await fake.api['status.get']()
    if (!base.ok) throw new Error('the fake has no status')
    let status: Status = { ...base.data, mode: 'relay', relayHost: 'smtp.example.net', sasl: true, tls: 'opportunistic', allowPlainAuth: false }
    fake.handle('status.get', () => ({ ok: true, data: status }))
    renderConsole(fake)
    const note = await screen.findByText(/Use TLS is off: the Password is sent only if the relay offers STARTTLS/)
    expect(note.closest('[role="note"]')!.querySelector('a')!.getAttribute('href')).toBe('#/settings')

    status = { ...status, tls: 'starttls' }
    fake.emit('settings.changed', { fields: ['Use TLS'] })
    await waitFor(() => expect(screen.queryByText(/Use TLS is off: the Password is sent only/)).toBeNull())
  })
})

describe('the dashboard’s rows', () => {
  it('open their message: a Mail Log row shows its story and source', async () => {
    const fake = createFakeApi({ mailLog: 2 })
    const sent = fake.mailLog[0]!
    renderConsole(fake)
    const user = userEvent.setup()
    const recent = await screen.findByRole('table', { name: 'Most recent Mail Log entries' })
    await user.click(within(recent).getByRole('button', { name: `Open message ${sent.queueId}` }))
    const dialog = screen.getByRole('dialog', { name: `Message ${sent.queueId}` })
    expect(await within(dialog).findByRole('table', { name: `Story of ${sent.queueId}` })).toBeTruthy()
    expect(within(dialog).getByText(/Disk full/)).toBeTruthy()
    expect(fake.callsOf('message.get')).toEqual([{ queueId: sent.queueId }])
  })
})

describe('the dashboard on a first run', () => {
  it('says what to set first and why, direct delivery from localhost.localdomain included, and goes once they are set', async () => {
    const fake = createFakeApi()
    fake.view = { ...fake.view, settings: DEFAULT_SETTINGS }
    renderConsole(fake)
    const first = await screen.findByRole('region', { name: 'Set these first' })
    expect(first.textContent).toContain('direct delivery from localhost.localdomain will not work')
    const links = [...first.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')])
    expect(links).toEqual([
      ['Hostname', '#/settings?focus=hostname'],
      ['From Address', '#/settings?focus=fromAddress'],
      ['Relay Host', '#/settings?focus=relayHost'],
      ['Send Test Email', '#/send-test'],
    ])

    fake.view = { ...fake.view, settings: { ...fake.view.settings, hostname: 'mail.example.com', fromAddress: 'alerts@example.com', relayHost: 'smtp.example.net' } }
    fake.emit('settings.changed', { fields: ['Hostname'] })
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Set these first' })).toBeNull())
  })
})

describe('the dashboard without the token', () => {
  it('says once that the token is missing, not under every section', async () => {
    const fake = createFakeApi()
    const refused = { ok: false as const, error: { code: 'forbidden' as const, message: 'Missing or wrong token: open the URL the console printed.' } }
    for (const method of ['status.get', 'queue.list', 'mailLog.list', 'events.list'] as const) fake.handle(method, () => refused)
    renderConsole(fake)
    await screen.findByText(/This page may not use the console\./)
    await waitFor(() => expect(fake.callsOf('events.list').length).toBeGreaterThan(0))
    expect(screen.getAllByText(/Missing or wrong token/)).toHaveLength(1)
  })
})
