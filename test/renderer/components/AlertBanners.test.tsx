// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/shared/alerts.ts'
import type { ConnectionState, ConsoleApi } from '../../../src/shared/api.ts'
import { LOST_STREAM } from '../../../src/renderer/components/AlertBanners.tsx'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// The engine's alerts as banners on every page, and the banner for an event
// stream that dropped: over the fake API, with the connection told by hand
// (test/renderer/api/web-connection.test.ts has the real stream).

const alert = (kind: Alert['kind'], n: number, patch: Partial<Alert> = {}): Alert => ({
  id: `${kind}-${n}`,
  kind,
  at: 1_800_000_000_000 + n,
  severity: 'warning',
  title: 'Mail is being deferred',
  body: `${n} deliveries deferred; ${n} messages are waiting, retried automatically. The server refused the connection.`,
  waiting: n,
  ...patch,
})

function consoleWithStream() {
  const fake = createFakeApi({ queue: 2 })
  const listeners = new Set<(state: ConnectionState) => void>()
  const api: ConsoleApi = Object.assign(Object.create(fake.api) as ConsoleApi, {
    onConnection: (listener: (state: ConnectionState) => void) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  })
  const tell = (state: ConnectionState) => act(() => listeners.forEach((l) => l(state)))
  return { fake, api, tell, listeners }
}

describe('the alert banners', () => {
  it('show each problem once with its count, newest replacing older, until the all-clear', async () => {
    const fake = createFakeApi({ queue: 2 })
    renderConsole(fake, '#/mail-log')
    expect(screen.queryByRole('region', { name: 'Alerts' })).toBeNull()

    act(() => fake.emit('alerts.raised', alert('deferred', 60)))
    const first = within(await screen.findByRole('region', { name: 'Alerts' })).getByRole('alert')
    expect(first.textContent).toContain('60 messages are waiting')
    expect(within(first).getByRole('link', { name: 'Open the Mail Queue' }).getAttribute('href')).toBe('#/queue')

    act(() => fake.emit('alerts.raised', alert('queue-size', 120, { title: 'The mail queue is growing', body: '120 messages are waiting, more than the 100 messages of the Queue size alert.' })))
    act(() => fake.emit('alerts.raised', alert('deferred', 240)))
    const region = screen.getByRole('region', { name: 'Alerts' })
    const banners = within(region).getAllByRole('alert')
    expect(banners.map((b) => b.querySelector('strong')!.textContent)).toEqual(['The mail queue is growing. ', 'Mail is being deferred. '])
    expect(banners[1]!.textContent).toContain('240 messages are waiting')

    act(() => fake.emit('alerts.raised', alert('resolved', 0, { severity: 'info', title: 'Mail is flowing again', body: 'The mail queue has drained after 2 hours of trouble.' })))
    expect(within(region).queryAllByRole('alert')).toEqual([])
    const clear = within(region).getByRole('status')
    expect(clear.textContent).toBe('Mail is flowing again. The mail queue has drained after 2 hours of trouble.×')
    expect(within(clear).queryByRole('link')).toBeNull()
  })

  it('go when dismissed', async () => {
    const fake = createFakeApi()
    renderConsole(fake)
    act(() => fake.emit('alerts.raised', alert('bounced', 3, { severity: 'error', title: 'Mail bounced', body: '3 deliveries bounced and will not be retried.' })))
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Dismiss: Mail bounced' }))
    expect(screen.queryByText(/deliveries bounced/)).toBeNull()
    expect(screen.queryByRole('region', { name: 'Alerts' })).toBeNull()
  })

  it('say when the event stream drops and when it is back, and read the page again then', async () => {
    const { fake, api, tell } = consoleWithStream()
    renderConsole({ api }, '#/')
    await screen.findByText('Direct delivery')
    tell('lost')
    const lost = within(screen.getByRole('region', { name: 'Alerts' })).getByRole('alert')
    expect(lost.textContent).toBe(`Connection lost. ${LOST_STREAM}`)
    expect(within(lost).queryByRole('button')).toBeNull()

    const before = fake.callsOf('status.get').length
    tell('restored')
    expect(screen.queryByText(/Connection lost/)).toBeNull()
    expect(screen.getByText(/Connected to the engine again/).closest('[role="status"]')).toBeTruthy()
    await waitFor(() => expect(fake.callsOf('status.get').length).toBeGreaterThan(before))
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Dismiss: Connection restored' }))
    expect(screen.queryByText(/Connected to the engine again/)).toBeNull()
  })

  it('show at once, on a page opened during an outage, the alerts raised before it opened', async () => {
    const fake = createFakeApi({ queue: 2 })
    const growing = alert('queue-size', 120, { title: 'The mail queue is growing', body: '120 messages are waiting, more than the 100 messages of the Queue size alert.' })
    fake.handle('alerts.current', () => ({ ok: true, data: { alerts: [alert('deferred', 120), growing], badge: { count: 120 } } }))
    renderConsole(fake, '#/mail-log')
    // No event comes: the banners are what alerts.current said stands.
    const region = await screen.findByRole('region', { name: 'Alerts' })
    const banners = within(region).getAllByRole('alert')
    expect(banners.map((b) => b.querySelector('strong')!.textContent)).toEqual(['Mail is being deferred. ', 'The mail queue is growing. '])
    expect(banners[0]!.textContent).toContain('120 messages are waiting')
    expect(fake.callsOf('alerts.current')).toHaveLength(1)
  })

  it('are read again when the event stream is back: what ended meanwhile goes, what the admin dismissed stays dismissed', async () => {
    const { fake, api, tell } = consoleWithStream()
    const bounced = alert('bounced', 3, { severity: 'error', title: 'Mail bounced', body: '3 deliveries bounced and will not be retried.' })
    let standing = [alert('deferred', 60), bounced]
    fake.handle('alerts.current', () => ({ ok: true, data: { alerts: standing, badge: { count: 60 } } }))
    renderConsole({ api }, '#/')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Dismiss: Mail bounced' }))
    expect(screen.queryByText(/deliveries bounced/)).toBeNull()

    // While the stream was down the deferrals ended (their all-clear lost with it) and the oldest message grew old.
    tell('lost')
    const oldest = alert('oldest', 61, { title: 'Mail is waiting too long', body: 'The oldest message has waited 2 hours, longer than the 1 hour of the Message age alert.' })
    standing = [bounced, oldest]
    tell('restored')
    await screen.findByText(/The oldest message has waited 2 hours/)
    const problems = within(screen.getByRole('region', { name: 'Alerts' })).getAllByRole('alert')
    expect(problems.map((b) => b.querySelector('strong')!.textContent)).toEqual(['Mail is waiting too long. '])
    expect(fake.callsOf('alerts.current')).toHaveLength(2)
  })
})
