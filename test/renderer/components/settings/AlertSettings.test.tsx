// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from '../../fake-api.ts'
import { renderConsole } from '../../render.tsx'

// Edit Settings → Advanced → Alerts: the switch and the three limits, checked
// by the shared schema before Submit and saved as numbers.

describe('Edit Settings, Advanced → Alerts', () => {
  it('shows the defaults, refuses a limit out of range under its field, and saves the rest', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/settings')
    await screen.findByLabelText('Hostname')
    const user = userEvent.setup()
    await user.click(screen.getByText('Advanced'))
    expect(screen.getByRole('group', { name: 'Alerts' })).toBeTruthy()
    expect(screen.getByLabelText<HTMLInputElement>('Show alerts').checked).toBe(true)
    const size = screen.getByLabelText<HTMLInputElement>('Queue size alert (messages)')
    const age = screen.getByLabelText<HTMLInputElement>('Message age alert (minutes)')
    const interval = screen.getByLabelText<HTMLInputElement>('Alert interval (minutes)')
    expect([size.value, age.value, interval.value]).toEqual(['100', '60', '30'])

    await user.clear(size)
    await user.type(size, '0')
    await user.clear(interval)
    await user.type(interval, '2000')
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await waitFor(() => expect(size.getAttribute('aria-invalid')).toBe('true'))
    expect(document.getElementById('settings-alertQueueSize-error')!.textContent).toBe('Queue size alert is at least 1 message.')
    expect(document.getElementById('settings-alertIntervalMinutes-error')!.textContent).toBe('Alert interval is at most one day (1,440 minutes).')
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    await user.clear(size)
    await user.type(size, '500')
    await user.clear(interval)
    await user.type(interval, '15')
    await user.click(screen.getByLabelText('Show alerts'))
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    await screen.findByText('Settings saved.')
    expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ alertsEnabled: false, alertQueueSize: 500, alertOldestMinutes: 60, alertIntervalMinutes: 15 })
  })
})
