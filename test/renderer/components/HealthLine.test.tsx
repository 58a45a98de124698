// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { HealthLine } from '../../../src/renderer/components/HealthLine.tsx'
import type { DeliveryHealth } from '../../../src/shared/types.ts'

// The dashboard's one line on whether mail is going out, worded from status.get's health.

afterEach(cleanup)

const at = (h: number, m: number) => new Date(2026, 10, 29, h, m, 5).getTime()
const NOW = at(15, 0)

const failing: DeliveryHealth = {
  state: 'failing',
  lastSentAt: at(14, 2),
  since: at(14, 27),
  lastFailureAt: at(14, 55),
  brief: 'connection refused by 127.0.0.1:1',
  explanation: { cause: 'connection-refused', summary: 'The server refused the connection.', fix: 'Check Relay Host and Relay Port.' },
  check: [
    { field: 'relayPort', label: 'Relay Port' },
    { field: 'relayHost', label: 'Relay Host' },
  ],
  settingsChangedSince: false,
}

describe('HealthLine', () => {
  it('says delivery stopped, since when, why, and links the setting to check and Flush Queue', () => {
    render(<HealthLine health={failing} now={NOW} />)
    const line = screen.getByRole('status')
    expect(line.textContent).toBe('Not delivering since 14:27 — connection refused by 127.0.0.1:1 — check Relay Port and Relay Host, then Flush Queue')
    expect(line.className).toContain('health-failing')
    expect(screen.getByRole('link', { name: 'Relay Port' }).getAttribute('href')).toBe('#/settings?focus=relayPort')
    expect(screen.getByRole('link', { name: 'Flush Queue' }).getAttribute('href')).toBe('#/flush-queue')
  })

  it('says a Flush Queue tries settings saved since the failure', () => {
    render(<HealthLine health={{ ...failing, settingsChangedSince: true }} now={NOW} />)
    expect(screen.getByRole('status').textContent).toBe('Not delivering since 14:27 — connection refused by 127.0.0.1:1 — the settings changed since: Flush Queue to try them now')
  })

  it('names the day of an outage that began on another day', () => {
    render(<HealthLine health={{ ...failing, since: at(14, 27) - 86_400_000 }} now={NOW} />)
    expect(screen.getByRole('status').textContent).toMatch(/^Not delivering since 2026-11-28 14:27 — /)
  })

  it('says delivery is normal, with the time of the last message sent', () => {
    const health: DeliveryHealth = { ...failing, state: 'delivering', lastSentAt: at(14, 31), since: null, lastFailureAt: null, brief: null, explanation: null, check: [] }
    render(<HealthLine health={health} now={NOW} />)
    const line = screen.getByRole('status')
    expect(line.textContent).toBe('Delivering normally, last sent 14:31')
    expect(line.className).toContain('health-ok')
  })
})
