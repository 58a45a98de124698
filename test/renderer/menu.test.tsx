// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from './fake-api.ts'
import { renderConsole } from './render.tsx'

describe('the SMTP Dashboard menu', () => {
  it('lists the seed menu in order after Dashboard', async () => {
    renderConsole(createFakeApi())
    const nav = screen.getByRole('navigation', { name: 'SMTP Dashboard' })
    const names = within(nav)
      .getAllByRole('link')
      .map((a) => a.textContent)
    expect(names).toEqual([
      'Dashboard',
      'Edit Settings',
      'Send Test Email',
      'Mail Queue',
      'Delete Queue',
      'Flush Queue',
      'Mail Log',
      'Logs',
      "Today's Report",
      "Yesterday's Report",
      'Troubleshooting',
    ])
    await screen.findByText('Direct delivery')
  })

  it('opens the page of a menu entry and marks it current', async () => {
    const fake = createFakeApi({ queue: 3 })
    renderConsole(fake)
    const user = userEvent.setup()
    await user.click(screen.getByRole('link', { name: 'Mail Queue' }))
    await screen.findByRole('heading', { level: 1, name: 'Mail Queue' })
    expect(screen.getByRole('link', { name: 'Mail Queue' }).getAttribute('aria-current')).toBe('page')
    expect(await screen.findByText('1–3 of 3')).toBeTruthy()
    await user.click(screen.getByRole('link', { name: 'Troubleshooting' }))
    await screen.findByRole('heading', { level: 1, name: 'Troubleshooting' })
    // Troubleshooting points at the settings it concerns.
    expect((await screen.findByRole('link', { name: 'Use SASL Authorization' })).getAttribute('href')).toBe('#/settings?focus=useSasl')
  })

  it('shows the configuration at a glance and the most recent entries on the dashboard', async () => {
    const fake = createFakeApi({ queue: 14, mailLog: 3, events: 0 })
    fake.view = { ...fake.view, settings: { ...fake.view.settings, relayHost: 'relay.example.com', relayPort: 587, useSasl: true, username: 'u' }, secretStorage: { kind: 'keyfile', description: 'key file' } }
    renderConsole(fake)
    expect(await screen.findByText('Relay relay.example.com:587')).toBeTruthy()
    expect(screen.getByText(/protected by a key file beside the data, weaker than the OS keychain/)).toBeTruthy()
    const queueSection = screen.getByRole('region', { name: 'Mail Queue' })
    await waitFor(() => expect(within(queueSection).getAllByRole('row')).toHaveLength(11))
    expect(fake.callsOf('queue.list')[0]).toMatchObject({ limit: 10 })
    const logs = screen.getByRole('region', { name: 'Logs' })
    await within(logs).findByText(/No events yet/)
  })
})

describe('the skip link', () => {
  it('is the first Tab stop and takes the keyboard past the menu to the page, leaving the route as it was', async () => {
    renderConsole(createFakeApi(), '#/send-test')
    const user = userEvent.setup()
    await screen.findByLabelText('Email address')
    await user.tab()
    const skip = screen.getByRole('link', { name: 'Skip to main content' })
    expect(document.activeElement).toBe(skip)
    await user.keyboard('{Enter}')
    const heading = screen.getByRole('heading', { level: 1, name: 'Send Test Email' })
    expect(document.activeElement).toBe(heading)
    expect(window.location.hash).toBe('#/send-test')
    // The next Tab is inside the page, not in the menu.
    await user.tab()
    expect(screen.getByRole('main').contains(document.activeElement)).toBe(true)
  })
})
