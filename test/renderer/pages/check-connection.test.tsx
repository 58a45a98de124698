// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { ApiRequest } from '../../../src/shared/api.ts'
import type { Check } from '../../../src/shared/diagnostics.ts'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// Edit Settings' Check connection: the relay checks of the form's values,
// before Submit, shown under the form; "Fix" goes to the field on the page.

const tls: Check = {
  id: 'relay.tls',
  title: 'TLS mode against the port',
  verdict: 'fail',
  summary: 'Port 2525 offers STARTTLS but the settings use implicit TLS: set TLS mode to STARTTLS, or use port 465.',
  fix: 'Set TLS mode to STARTTLS, or set Relay Port to 465.',
  field: 'tlsMode',
  ms: 30,
}

describe('Edit Settings: Check connection', () => {
  it("checks the form's unsaved values (scope connection), shows the results inline and saves nothing", async () => {
    const fake = createFakeApi()
    const requests: ApiRequest<'diagnostics.run'>[] = []
    fake.handle('diagnostics.run', (r) => {
      requests.push(r)
      return { ok: true, data: { startedAt: 0, checks: [tls] } }
    })
    renderConsole(fake, '#/settings')
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText('Relay Host'), 'relay.example.net')
    await user.type(screen.getByLabelText('Relay Port'), '2525')
    await user.click(screen.getByRole('button', { name: 'Check connection' }))
    await waitFor(() => expect(requests).toHaveLength(1))
    expect(requests[0]).toMatchObject({ scope: 'connection', settings: { relayHost: 'relay.example.net', relayPort: 2525 } })
    expect(fake.callsOf('settings.update')).toHaveLength(0)

    const results = await screen.findByRole('region', { name: 'Check connection' })
    expect(within(results).getByRole('status').textContent).toContain('1 problem')
    expect(results.textContent).toContain(tls.summary)
    await user.click(within(results).getByRole('button', { name: 'Fix: go to TLS mode' }))
    const field = screen.getByLabelText('Use TLS')
    await waitFor(() => expect(document.activeElement).toBe(field))
  })

  it('refuses a form that does not validate, and shows a field error of the engine under its field', async () => {
    const fake = createFakeApi()
    const message = 'Type the Password to check relay.example.net: the saved one is sent only to the saved Relay Host.'
    fake.handle('diagnostics.run', () => ({ ok: false, error: { code: 'invalid_request', message, fields: { password: message } } }))
    renderConsole(fake, '#/settings')
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText('Relay Port'), 'x')
    await user.click(screen.getByRole('button', { name: 'Check connection' }))
    expect(screen.getByLabelText('Relay Port').getAttribute('aria-invalid')).toBe('true')
    expect(fake.callsOf('diagnostics.run')).toHaveLength(0)

    await user.clear(screen.getByLabelText('Relay Port'))
    await user.type(screen.getByLabelText('Relay Host'), 'relay.example.net')
    await user.click(screen.getByRole('button', { name: 'Check connection' }))
    await waitFor(() => expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true'))
    expect(screen.getByText(message)).toBeTruthy()
  })
})
