// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { Check, DiagnosticsReport } from '../../../src/shared/diagnostics.ts'
import type { ApiRequest, Result } from '../../../src/shared/api.ts'
import { createFakeApi, type FakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// Troubleshooting over the fake API: the run on open, each check shown as its
// progress event arrives (this run's only), the summary line, and "Fix".

const T = Date.UTC(2026, 10, 27, 13, 0, 0)

const tcp: Check = { id: 'relay.tcp', title: 'Relay reachable', verdict: 'pass', summary: 'relay.example.com:465 accepted the connection in 12 ms.', ms: 12 }
const banner: Check = {
  id: 'relay.banner',
  title: 'Relay greeting and capabilities',
  verdict: 'pass',
  summary: 'The relay greeted and offers STARTTLS, AUTH PLAIN LOGIN.',
  detail: 'Greeting: 220 relay.example.com ESMTP\nS: 220 relay.example.com ESMTP\nC: EHLO mail.example.com\nS: 250-relay.example.com\nS: 250 STARTTLS',
  ms: 20,
}
const tls: Check = {
  id: 'relay.tls',
  title: 'TLS mode against the port',
  verdict: 'fail',
  summary: 'Port 465 offers STARTTLS but the settings use implicit TLS: set TLS mode to STARTTLS, or use port 465.',
  fix: 'Set TLS mode to STARTTLS (Automatic picks it on every port but 465), or set Relay Port to 465.',
  field: 'tlsMode',
  ms: 30,
}
const auth: Check = {
  id: 'relay.auth',
  title: 'Sign-in (SASL)',
  verdict: 'fail',
  summary: 'The relay refused the Username and Password: "535 5.7.8 Authentication failed".',
  fix: 'Check Username and Password.',
  field: 'password',
  detail: 'S: 220 relay.example.com ESMTP\nC: EHLO mail.example.com\nS: 250 AUTH PLAIN\nC: AUTH PLAIN (hidden) (Password)\nS: 535 5.7.8 Authentication failed',
  ms: 40,
}
const ptr: Check = {
  id: 'dns.ptr',
  title: 'Reverse DNS of the outgoing address',
  verdict: 'warn',
  summary: '192.0.2.10 has forward-confirmed reverse DNS host.example.net, but Hostname is mail.example.com.',
  fix: 'Set Hostname to host.example.net.',
  field: 'hostname',
  ms: 15,
}

/** diagnostics.run answered only when the test says so, so progress can arrive first. */
function deferredRun(fake: FakeApi) {
  const requests: ApiRequest<'diagnostics.run'>[] = []
  let answer: ((r: Result<DiagnosticsReport>) => void) | null = null
  fake.handle('diagnostics.run', (request) => {
    requests.push(request)
    return new Promise((resolve) => (answer = resolve))
  })
  return {
    requests,
    runId: () => requests[requests.length - 1]!.runId!,
    answer: (checks: Check[]) =>
      act(async () => {
        answer!({ ok: true, data: { startedAt: T, checks } })
        await Promise.resolve()
      }),
  }
}

const relayView = { settings: { ...createFakeApi().view.settings, relayHost: 'relay.example.com', relayPort: 465, useTls: true, tlsMode: 'implicit' as const } }

describe('Troubleshooting', () => {
  it('runs the checks on open and shows each as its progress arrives, ignoring other runs', async () => {
    const fake = createFakeApi({ view: relayView })
    const run = deferredRun(fake)
    renderConsole(fake, '#/troubleshooting')
    await waitFor(() => expect(run.requests).toHaveLength(1))
    expect(run.requests[0]).toMatchObject({ runId: expect.stringMatching(/^[\w.:-]{1,64}$/) })
    expect(run.requests[0]!.recipientDomain).toBeUndefined()
    expect(screen.getByRole('status').textContent).toContain('Checking…')

    act(() => fake.emit('diagnostics.progress', { runId: run.runId(), check: tcp }))
    // Another window's run on the same engine is not this page's.
    act(() => fake.emit('diagnostics.progress', { runId: 'other-window', check: { ...tls, id: 'relay.tls' } }))
    const tcpRow = await screen.findByText(tcp.summary)
    expect(tcpRow.closest('li')!.textContent).toContain('Passed')
    expect(screen.queryByText(tls.summary)).toBeNull()
    expect(screen.getByRole('status').textContent).toBe('Checking… 1 done.')

    act(() => fake.emit('diagnostics.progress', { runId: run.runId(), check: tls }))
    expect(screen.getByText(tls.summary).closest('li')!.textContent).toContain('Problem')
    expect(screen.getByRole('status').textContent).toBe('Checking… 2 done; so far 1 problem.')

    await run.answer([tcp, banner, tls, auth, ptr])
    expect(screen.getByRole('status').textContent).toContain('2 problems, 1 warning')
    // In CHECK_IDS order, in their sections: the relay's first, then DNS.
    const relay = screen.getByRole('region', { name: 'The relay: relay.example.com:465' })
    expect(within(relay).getAllByRole('listitem').map((li) => li.getAttribute('data-check'))).toEqual(['relay.tcp', 'relay.banner', 'relay.tls', 'relay.auth'])
    expect(screen.getByRole('region', { name: 'DNS of this system and its sender domain' }).textContent).toContain(ptr.summary)
  })

  it('says "All checks passed" when nothing failed, with what could not be checked', async () => {
    const fake = createFakeApi({ view: relayView })
    const run = deferredRun(fake)
    renderConsole(fake, '#/troubleshooting')
    await waitFor(() => expect(run.requests).toHaveLength(1))
    await run.answer([tcp, banner, { ...ptr, verdict: 'skip', summary: 'Not known.' }])
    expect(screen.getByRole('status').textContent).toContain('All checks passed (1 check could not be run)')
  })

  it('"Fix" opens the setting in Edit Settings with its field focused, under Advanced when it is there', async () => {
    const fake = createFakeApi({ view: relayView })
    const run = deferredRun(fake)
    renderConsole(fake, '#/troubleshooting')
    await waitFor(() => expect(run.requests).toHaveLength(1))
    await run.answer([tcp, tls, ptr])
    const fix = within(screen.getByText(tls.summary).closest('li')!).getByRole('link', { name: 'Fix: open TLS mode in Edit Settings' })
    expect(fix.getAttribute('href')).toBe('#/settings?focus=tlsMode')
    expect(screen.getByText(tls.fix!)).toBeTruthy()
    // A pass has no Fix.
    expect(within(screen.getByText(tcp.summary).closest('li')!).queryByRole('link')).toBeNull()
    await userEvent.setup().click(fix)
    // TLS mode is chosen with Use TLS, at the top of the form.
    const field = await screen.findByLabelText('Use TLS')
    await waitFor(() => expect(document.activeElement).toBe(field))
  })

  it('runs again with the recipient domain, refuses one that is no domain, and shows the transcript credentials hidden', async () => {
    const fake = createFakeApi({ view: relayView })
    const run = deferredRun(fake)
    renderConsole(fake, '#/troubleshooting')
    await waitFor(() => expect(run.requests).toHaveLength(1))
    await run.answer([tcp, banner, tls, auth])
    const user = userEvent.setup()
    const input = screen.getByLabelText('Recipient domain')
    await user.type(input, 'not a domain')
    await user.click(screen.getByRole('button', { name: 'Run checks' }))
    expect(input.getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByText('Enter a recipient domain such as example.com, or an email address.')).toBeTruthy()
    expect(run.requests).toHaveLength(1)

    await user.clear(input)
    await user.type(input, 'partner.example.org')
    await user.click(screen.getByRole('button', { name: 'Run checks' }))
    expect(run.requests).toHaveLength(2)
    expect(run.requests[1]).toMatchObject({ recipientDomain: 'partner.example.org' })
    // The earlier run's results are cleared while the new one runs.
    expect(screen.queryByText(tcp.summary)).toBeNull()
    await run.answer([tcp, banner, tls, auth])

    await user.click(screen.getByRole('button', { name: 'Show SMTP transcript' }))
    const transcript = screen.getByLabelText('SMTP transcript').textContent ?? ''
    expect(transcript.split('\n')).toEqual(auth.detail!.split('\n'))
    expect(transcript).toContain('AUTH PLAIN (hidden)')
  })

  it('keeps the advice that cannot be checked as guidance below the checks', async () => {
    renderConsole(createFakeApi(), '#/troubleshooting')
    const guidance = await screen.findByRole('region', { name: 'What the checks cannot see from here' })
    expect(guidance.textContent).toContain('Spam folders')
    expect(guidance.textContent).toContain('The relay’s own rules')
  })
})
