// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi, eventEntry, mailLogEntry, pageOf } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

describe('Mail Log', () => {
  it('opens a delivered message from its row: its story, headers, transcript, source and Download .eml', async () => {
    const fake = createFakeApi({ mailLog: 3 })
    const sent = fake.mailLog[0]!
    // Its story: received, deferred once (the cause leads, the server's words one click away), then sent.
    fake.mailLog.push(
      mailLogEntry(10, { queueId: sent.queueId, status: 'deferred', reply: 'error:0A00010B:SSL routines:tlsany_meth.c:77: wrong version number', explanation: { cause: 'tls-wrong-mode', summary: 'The relay does not speak TLS on this port.', fix: 'Check TLS mode.' } }),
      mailLogEntry(11, { queueId: sent.queueId, status: 'received', relay: null, reply: null }),
    )
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await user.click((await screen.findAllByRole('button', { name: `Open message ${sent.queueId}` }))[0]!)
    const dialog = screen.getByRole('dialog', { name: `Message ${sent.queueId}` })
    expect(fake.callsOf('message.get').at(-1)).toEqual({ queueId: sent.queueId })
    const story = await within(dialog).findByRole('table', { name: `Story of ${sent.queueId}` })
    const rows = within(story).getAllByRole('row').slice(1)
    expect(rows.map((r) => within(r).getAllByRole('cell')[1]!.textContent)).toEqual(['received', 'deferred', 'sent'])
    // The decoded cause leads; OpenSSL's text is behind "Server reply".
    const cause = within(rows[1]!).getByText('The relay does not speak TLS on this port.')
    expect(cause).toBeTruthy()
    expect(within(rows[1]!).getByText('Server reply').tagName).toBe('SUMMARY')
    // The subject, in the facts and among the headers.
    expect(within(dialog).getAllByText(`Alert for ${sent.queueId}`, { selector: 'dd' })).toHaveLength(2)
    expect(within(dialog).getByText(/Disk full/)).toBeTruthy()
    await user.click(within(dialog).getByRole('button', { name: 'Show SMTP transcript' }))
    expect(within(dialog).getByText(/EHLO mail.example.com/)).toBeTruthy()
    expect(within(dialog).getByRole('button', { name: 'Hide SMTP transcript' })).toBeTruthy()
    expect(within(dialog).getByRole('button', { name: 'Download .eml' })).toBeTruthy()
  })

  it('says plainly when a message’s source was pruned, with no download', async () => {
    const fake = createFakeApi({ mailLog: 1 })
    const sent = fake.mailLog[0]!
    fake.handle('message.get', ({ queueId }) => ({
      ok: true,
      data: {
        queueId,
        inQueue: null,
        sender: sent.sender,
        subject: 'Old alert',
        messageId: null,
        story: [sent],
        headers: [],
        source: { kind: 'gone', at: null, note: 'Its source was pruned: sent messages are kept 7 day(s) (Keep sent messages (Advanced)).' },
      },
    }))
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: `Open message ${sent.queueId}` }))
    const dialog = screen.getByRole('dialog', { name: `Message ${sent.queueId}` })
    expect(await within(dialog).findByText(/Its source was pruned: sent messages are kept 7 day/)).toBeTruthy()
    expect(within(dialog).queryByRole('button', { name: 'Download .eml' })).toBeNull()
  })

  it('keeps the page size in the address, as the Mail Queue does, for the Mail Log and Logs', async () => {
    const fake = createFakeApi({ mailLog: 3, events: 3 })
    renderConsole(fake, '#/mail-log?limit=100')
    await screen.findByText('1–3 of 3')
    expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ limit: 100 })
    await userEvent.setup().selectOptions(screen.getByLabelText('Page size'), '25')
    await waitFor(() => expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ limit: 25 }))
    expect(window.location.hash).toBe('#/mail-log?limit=25')
  })

  it('follows new entries on page one', async () => {
    const fake = createFakeApi({ mailLog: 60 })
    renderConsole(fake, '#/mail-log')
    await screen.findByText('1–50 of 60')
    fake.mailLog = [mailLogEntry(-1, { recipient: 'newest@example.org' }), ...fake.mailLog]
    fake.emit('mailLog.appended', { count: 1 })
    await screen.findByText('1–50 of 61')
    expect(screen.getByText('newest@example.org')).toBeTruthy()
    expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ cursor: null })
  })

  it('a page link the engine no longer knows (it restarted) brings the newest page, not an error', async () => {
    const fake = createFakeApi({ mailLog: 120 })
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await screen.findByText('1–50 of 120')
    // The engine restarted: every cursor it handed out before is refused, as the real one refuses them.
    const stale = 'This page link is out of date or belongs to another list or filter; start again from the first page.'
    fake.handle('mailLog.list', (r) =>
      r.cursor ? { ok: false, error: { code: 'invalid_request', message: stale, fields: { cursor: stale } } } : { ok: true, data: pageOf(fake.mailLog, null, r.limit ?? 50) },
    )
    await user.click(screen.getByRole('button', { name: 'Next' }))
    await waitFor(() => expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ cursor: null }))
    await screen.findByText('1–50 of 120')
    expect(screen.queryByText(/could not be read/)).toBeNull()
  })

  it('stays on a deeper page and offers the newest entries instead', async () => {
    const fake = createFakeApi({ mailLog: 120 })
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await screen.findByText('1–50 of 120')
    await user.click(screen.getByRole('button', { name: 'Next' }))
    await screen.findByText('51–100 of 120')
    const calls = fake.callsOf('mailLog.list').length

    fake.mailLog = [mailLogEntry(-2), mailLogEntry(-1), ...fake.mailLog]
    fake.emit('mailLog.appended', { count: 2 })
    fake.emit('mailLog.appended', { count: 1 })
    const banner = await screen.findByRole('button', { name: '3 new entries — go to newest' })
    expect(screen.getByText('51–100 of 120')).toBeTruthy()
    expect(fake.callsOf('mailLog.list')).toHaveLength(calls)

    await user.click(banner)
    await screen.findByText('1–50 of 122')
    expect(screen.queryByText(/new entries/)).toBeNull()
  })

  it('filters by status and by address, and explains failed rows', async () => {
    const fake = createFakeApi()
    fake.mailLog = [
      mailLogEntry(0, {
        status: 'bounced',
        recipient: 'nobody@example.org',
        dsn: '5.1.1',
        reply: '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
        explanation: { cause: 'recipient-unknown', summary: 'The recipient’s server says this address does not exist.', fix: 'Check the address.' },
      }),
      mailLogEntry(1),
    ]
    renderConsole(fake, '#/mail-log')
    const user = userEvent.setup()
    await screen.findByText('1–2 of 2')
    expect(screen.getByText('The recipient’s server says this address does not exist.')).toBeTruthy()
    const reply = screen.getByText(/^550 5\.1\.1/)
    // The reply wraps in its cell, whole: no ellipsis to hover over.
    expect(reply.textContent).toContain('User unknown in virtual mailbox table')
    expect(reply.classList.contains('wrap')).toBe(true)
    await user.selectOptions(screen.getByLabelText('Status'), 'bounced')
    await screen.findByText('1–1 of 1')
    expect(fake.callsOf('mailLog.list').at(-1)).toMatchObject({ status: 'bounced' })
    await user.type(screen.getByLabelText('Search'), 'zzz')
    expect(await screen.findByText(/No entry matches the filter/)).toBeTruthy()
  })
})

describe('Logs', () => {
  it('filters by level, expands details and follows page one', async () => {
    const fake = createFakeApi()
    fake.events = [eventEntry(0, { level: 'error', message: 'Relay refused the login', details: { relay: 'relay.example.com:587', fields: ['Username', 'Password'], attempts: 3 } }), eventEntry(1)]
    renderConsole(fake, '#/logs')
    const user = userEvent.setup()
    await screen.findByText('1–2 of 2')
    await user.click(screen.getByText('Relay refused the login'))
    // Expanded, the details read as key: value; the raw JSON is one click further, closed.
    const facts = [...document.querySelectorAll('.event-facts > div')].map((d) => `${d.querySelector('dt')!.textContent}: ${d.querySelector('dd')!.textContent}`)
    expect(facts).toEqual(['relay: relay.example.com:587', 'fields: Username, Password', 'attempts: 3'])
    const raw = screen.getByText(/"relay": "relay.example.com:587"/).closest('details')!
    expect(raw.open).toBe(false)
    expect(within(raw).getByText('Raw details (JSON)').tagName).toBe('SUMMARY')
    await user.selectOptions(screen.getByLabelText('Level'), 'error')
    await screen.findByText('1–1 of 1')
    expect(fake.callsOf('events.list').at(-1)).toMatchObject({ level: 'error', cursor: null })

    fake.events = [eventEntry(-1, { level: 'error', message: 'Certificate expired' }), ...fake.events]
    fake.emit('events.appended', { count: 1 })
    await screen.findByText('Certificate expired')
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Logs' })).getAllByRole('row')).toHaveLength(3))
  })
})
