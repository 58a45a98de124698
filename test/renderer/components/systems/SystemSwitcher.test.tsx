// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ADD_SYSTEM_HASH } from '../../../../src/shared/wire.ts'
import { createFakeApi } from '../../fake-api.ts'
import { renderConsole } from '../../render.tsx'

// The sidebar's System picker and the Add a Postfix server dialog, over the fake API.

const fingerprint = `SHA256:${'k'.repeat(43)}`

describe('the System picker', () => {
  it('opens Add a Postfix server from the address the desktop menu gives, then forgets it', async () => {
    renderConsole(createFakeApi(), ADD_SYSTEM_HASH)
    const dialog = await screen.findByRole('dialog', { name: 'Add a Postfix server' })
    expect(within(dialog).getByLabelText('Name')).toBeTruthy()
    await waitFor(() => expect(window.location.hash).toBe('#/'))
  })

  it('shows a field error from the hub under its field, and a new host key with its fingerprint; Cancel removes the server', async () => {
    const fake = createFakeApi()
    fake.handle('systems.add', (r) =>
      r.ssh === 'root@bad host'
        ? { ok: false, error: { code: 'invalid_request', message: 'Give the server as user@host or user@host:port, as ssh takes it.', fields: { ssh: 'Give the server as user@host or user@host:port, as ssh takes it.' } } }
        : { ok: true, data: { system: { id: 'mail1', name: r.name, kind: 'postfix', where: `${r.ssh}:22` }, hostKey: { systemId: 'mail1', where: `${r.ssh}:22`, fingerprint } } },
    )
    fake.handle('systems.remove', () => ({ ok: true, data: { removed: true } }))
    renderConsole(fake)
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Add a Postfix server…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Add a Postfix server' })
    await user.type(within(dialog).getByLabelText('Name'), 'mail1')
    await user.type(within(dialog).getByLabelText('SSH'), 'root@bad host')
    await user.click(within(dialog).getByRole('button', { name: 'Add' }))
    expect(await within(dialog).findByText('Give the server as user@host or user@host:port, as ssh takes it.')).toBeTruthy()
    expect(within(dialog).getByLabelText('SSH').getAttribute('aria-invalid')).toBe('true')

    await user.clear(within(dialog).getByLabelText('SSH'))
    await user.type(within(dialog).getByLabelText('SSH'), 'admin@mail1.example.net')
    await user.click(within(dialog).getByRole('button', { name: 'Add' }))
    const question = await screen.findByRole('dialog', { name: 'Accept the host key of admin@mail1.example.net:22?' })
    expect(within(question).getByText(fingerprint)).toBeTruthy()
    await user.click(within(question).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => expect(fake.callsOf('systems.remove')).toEqual([{ id: 'mail1' }]))
    expect(fake.callsOf('systems.acceptHostKey')).toEqual([])
    expect(screen.queryByRole('dialog')).toBeNull()
  })
})
