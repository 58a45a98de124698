// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { DeliveryProgress } from '../../../src/shared/types.ts'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

const T = Date.UTC(2026, 10, 27, 13, 0, 0)
const step = (stage: DeliveryProgress['stage'], detail: string, extra: Partial<DeliveryProgress> = {}): DeliveryProgress => ({
  queueId: 'C0FFEE01',
  stage,
  at: T,
  detail,
  ...extra,
})

describe('Send Test Email', () => {
  it('checks the address before sending', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/send-test')
    // The page loads on first use.
    await screen.findByLabelText('Email address')
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email address'), 'not-an-address')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    const input = screen.getByLabelText('Email address')
    expect(input.getAttribute('aria-invalid')).toBe('true')
    expect(document.getElementById(input.getAttribute('aria-describedby')!)!.textContent).toContain('must be a valid email address')
    expect(fake.callsOf('mail.sendTest')).toHaveLength(0)
  })

  it('shows each stage, then the cause and fix of a failure, and the transcript on request', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/send-test')
    // The page loads on first use.
    await screen.findByLabelText('Email address')
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email address'), 'ops@example.org')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect(fake.callsOf('mail.sendTest')).toEqual([{ to: 'ops@example.org' }])
    await screen.findByRole('heading', { name: /C0FFEE01/ })

    act(() => {
      fake.emit('delivery.progress', step('queued', 'Queued as C0FFEE01'))
      fake.emit('delivery.progress', step('connecting', 'Connecting to relay.example.com[192.0.2.10]:465'))
      // Another message's progress is not this test's.
      fake.emit('delivery.progress', { ...step('sent', 'Delivered'), queueId: 'BEEF0001' })
    })
    const list = screen.getByRole('list', { name: 'Delivery progress' })
    expect(within(list).getByText('Connecting to relay.example.com[192.0.2.10]:465')).toBeTruthy()
    expect(within(list).queryByText('Delivered')).toBeNull()

    act(() => {
      fake.emit(
        'delivery.progress',
        step('deferred', 'Deferred: TLS handshake failed', {
          reply: '40AD4494A07F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:',
          explanation: {
            cause: 'tls-wrong-version',
            summary: 'The relay does not speak TLS from the start on this port.',
            fix: 'Use STARTTLS: set Relay Port to 587, or TLS mode to STARTTLS.',
          },
        }),
      )
    })
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('The relay does not speak TLS from the start on this port.')
    expect(alert.textContent).toContain('Use STARTTLS: set Relay Port to 587')
    // OpenSSL's words do not lead: they are behind "Server reply", closed until the admin opens it.
    const raw = within(alert).getByText(/tlsany_meth\.c:77/)
    const details = raw.closest('details')!
    expect(details.open).toBe(false)
    expect(within(details).getByText('Server reply').tagName).toBe('SUMMARY')
    expect(alert.textContent.indexOf('The relay does not speak TLS')).toBeLessThan(alert.textContent.indexOf('tlsany_meth'))
    expect(within(list).getAllByRole('listitem').map((li) => li.querySelector('.stage-name')?.textContent)).toEqual(['Queued', 'Connecting', 'Deferred'])

    await user.click(screen.getByRole('button', { name: 'Show SMTP transcript' }))
    expect((await screen.findByLabelText('SMTP transcript')).textContent).toContain('C: AUTH PLAIN <redacted>')
    expect(fake.callsOf('mail.transcript')).toEqual([{ queueId: 'C0FFEE01' }])
    // The button becomes Hide and keeps the focus; Hide hides.
    const hide = screen.getByRole('button', { name: 'Hide SMTP transcript' })
    expect(document.activeElement).toBe(hide)
    expect(hide.getAttribute('aria-expanded')).toBe('true')
    await user.keyboard('{Enter}')
    expect(screen.queryByLabelText('SMTP transcript')).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Show SMTP transcript' }))
  })

  it('keeps progress that arrived before the queue id came back, and shows the reply of a sent message', async () => {
    const fake = createFakeApi()
    fake.handle('mail.sendTest', () => {
      fake.emit('delivery.progress', step('queued', 'Queued as C0FFEE01'))
      return { ok: true, data: { queueId: 'C0FFEE01', messageId: '<t@x>' } }
    })
    renderConsole(fake, '#/send-test')
    // The page loads on first use.
    await screen.findByLabelText('Email address')
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email address'), 'ops@example.org')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    const list = await screen.findByRole('list', { name: 'Delivery progress' })
    expect(within(list).getByText('Queued as C0FFEE01')).toBeTruthy()
    act(() => fake.emit('delivery.progress', step('sent', 'Delivered to ops@example.org', { reply: '250 2.0.0 Ok: queued as 9A1B' })))
    const status = screen.getByRole('status')
    expect(status.textContent).toContain('250 2.0.0 Ok: queued as 9A1B')
  })

  it('shows why the engine refused to queue it', async () => {
    const fake = createFakeApi()
    fake.handle('mail.sendTest', () => ({ ok: false, error: { code: 'conflict', message: 'The From Address is not set: open Edit Settings first.' } }))
    renderConsole(fake, '#/send-test')
    // The page loads on first use.
    await screen.findByLabelText('Email address')
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email address'), 'ops@example.org')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect((await screen.findByRole('alert')).textContent).toContain('The From Address is not set')
  })
})
