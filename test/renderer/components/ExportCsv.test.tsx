// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// Export CSV on the Mail Log and Logs carries the filter the admin set, and
// says what became of the file.

describe('Export CSV', () => {
  it('on the Mail Log exports what the Status and Search filter show, and says where it was saved', async () => {
    const fake = createFakeApi({ mailLog: 3 })
    fake.handle('logs.exportCsv', () => ({ ok: true, data: { kind: 'saved', filename: 'smtp-mail-log-2030-03-01.csv', file: '/home/admin/Downloads/bounces.csv', rows: 12408 } }))
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await screen.findByText('1–3 of 3')
    await user.selectOptions(screen.getByLabelText('Status'), 'bounced')
    await user.type(screen.getByLabelText('Search'), 'example.org')
    // The page shows the filter once the search has run: the export carries what is shown.
    await waitFor(() => expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ status: 'bounced', text: 'example.org' }))
    await user.click(screen.getByRole('button', { name: 'Export CSV' }))
    expect(await screen.findByText('Saved 12,408 rows to /home/admin/Downloads/bounces.csv.')).toBeTruthy()
    expect(fake.callsOf('logs.exportCsv')).toEqual([{ log: 'mailLog', status: 'bounced', text: 'example.org' }])
  })

  it('on the Logs exports by Level; a refusal is shown, and Cancel in the save dialog says nothing', async () => {
    const fake = createFakeApi({ events: 2 })
    fake.handle('logs.exportCsv', () => ({ ok: false, error: { code: 'storage', message: '/mnt/usb/x.csv could not be written (EROFS).' } }))
    renderConsole(fake, '#/logs')
    const user = userEvent.setup()
    await screen.findByText('1–2 of 2')
    await user.selectOptions(screen.getByLabelText('Level'), 'error')
    await user.click(screen.getByRole('button', { name: 'Export CSV' }))
    expect(await screen.findByText('Not exported: /mnt/usb/x.csv could not be written (EROFS).')).toBeTruthy()
    expect(fake.callsOf('logs.exportCsv')).toEqual([{ log: 'events', level: 'error' }])

    fake.handle('logs.exportCsv', () => ({ ok: true, data: { kind: 'cancelled' } }))
    await user.click(screen.getByRole('button', { name: 'Export CSV' }))
    await screen.findByRole('button', { name: 'Export CSV' })
    expect(screen.queryByText(/Not exported/)).toBeNull()
    expect(fake.callsOf('logs.exportCsv')).toHaveLength(2)
  })
})
