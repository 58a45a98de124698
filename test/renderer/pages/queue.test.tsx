// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { createFakeApi, queueEntry } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

const rows = () => within(screen.getByRole('table', { name: 'Mail Queue' })).getAllByRole('row').slice(1)

describe('Mail Queue', () => {
  it('pages with Next and Prev by cursor and says where it is', async () => {
    const fake = createFakeApi({ queue: 120 })
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await screen.findByText('1–50 of 120')
    expect(rows()).toHaveLength(50)
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Prev' }).disabled).toBe(true)

    await user.click(screen.getByRole('button', { name: 'Next' }))
    await screen.findByText('51–100 of 120')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ cursor: 'o:50', limit: 50 })
    expect(within(rows()[0]!).getByText(queueEntry(50).queueId)).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Next' }))
    await screen.findByText('101–120 of 120')
    expect(rows()).toHaveLength(20)
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next' }).disabled).toBe(true)

    await user.click(screen.getByRole('button', { name: 'Prev' }))
    await screen.findByText('51–100 of 120')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ cursor: 'o:50' })

    await user.selectOptions(screen.getByLabelText('Page size'), '25')
    await screen.findByText('1–25 of 120')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ cursor: null, limit: 25 })
  })

  it('says "of more than" when the engine stopped counting', async () => {
    const fake = createFakeApi()
    fake.handle('queue.list', () => ({
      ok: true,
      data: { items: [queueEntry(0)], total: 10_000, totalExact: false, position: 50, nextCursor: 'x', prevCursor: 'y' },
    }))
    renderConsole(fake, '#/queue')
    expect(await screen.findByText('51–51 of more than 10,000')).toBeTruthy()
  })

  it('shows the columns, the decoded reason and the raw one on hover', async () => {
    renderConsole(createFakeApi({ queue: 1 }), '#/queue')
    const header = (await screen.findAllByRole('columnheader')).map((h) => h.textContent)
    expect(header.slice(0, 9)).toEqual(['Queue ID', 'Size', 'Arrival Time', 'Sender', 'Recipients', 'State', 'Attempts', 'Next Attempt', 'Reason'])
    const reason = screen.getByText('The relay refused the connection.')
    expect(reason.getAttribute('title')).toContain('Connection refused')
    expect(screen.getByText('2.0 KiB')).toBeTruthy()
  })

  it('asks before deleting a message, and Cancel keeps it', async () => {
    const fake = createFakeApi({ queue: 3 })
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    const id = queueEntry(1).queueId
    await user.click(await screen.findByRole('button', { name: `Delete ${id}` }))
    const dialog = screen.getByRole('dialog', { name: `Delete ${id}?` })
    expect(fake.callsOf('queue.delete')).toHaveLength(0)
    // Cancel has the focus, and Tab stays inside the dialog.
    const cancel = within(dialog).getByRole('button', { name: 'Cancel' })
    expect(document.activeElement).toBe(cancel)
    await user.tab()
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Delete' }))
    await user.tab({ shift: true })
    expect(document.activeElement).toBe(cancel)
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('queue.delete')).toHaveLength(0)

    await user.click(screen.getByRole('button', { name: `Delete ${id}` }))
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()

    await user.click(screen.getByRole('button', { name: `Delete ${id}` }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }))
    expect(fake.callsOf('queue.delete')).toEqual([{ queueId: id }])
    await screen.findByText('1–2 of 2')
    expect(screen.queryByText(id)).toBeNull()
    // The notice belongs to that list: a new search does not carry it along.
    expect(screen.getByText(`Deleted ${id}.`)).toBeTruthy()
    await user.type(screen.getByLabelText('Search'), 'boss')
    await waitFor(() => expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ text: 'boss' }))
    await waitFor(() => expect(screen.queryByText(`Deleted ${id}.`)).toBeNull())
  })

  it('holds, releases and retries one message', async () => {
    const fake = createFakeApi({ queue: 1 })
    const id = queueEntry(0).queueId
    fake.handle('queue.hold', ({ queueId }) => {
      fake.queue = fake.queue.map((q) => (q.queueId === queueId ? { ...q, state: 'hold' } : q))
      return { ok: true, data: fake.queue[0]! }
    })
    fake.handle('queue.retry', () => ({ ok: false, error: { code: 'conflict', message: `${id} is being delivered now.` } }))
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: `Hold ${id}` }))
    expect(await screen.findByRole('button', { name: `Release ${id}` })).toBeTruthy()
    await user.click(screen.getByRole('button', { name: `Retry ${id} now (releases it from hold)` }))
    expect((await screen.findByRole('alert')).textContent).toContain('is being delivered now')
  })

  it('says what Retry now did: being retried, then deferred again with the cause, in red', async () => {
    const fake = createFakeApi({ queue: 1 })
    const entry = queueEntry(0)
    fake.handle('queue.retry', () => ({ ok: true, data: entry }))
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    // A stage of an earlier attempt is not this retry's outcome.
    await act(() => fake.emit('delivery.progress', { queueId: entry.queueId, stage: 'deferred', at: 1000, detail: 'earlier', recipient: entry.recipients[0]! }))
    await user.click(await screen.findByRole('button', { name: `Retry ${entry.queueId} now` }))
    const pending = await screen.findByText(`${entry.queueId} is due now and being retried.`)
    expect(pending.className).toContain('notice-info')
    await act(() => fake.emit('delivery.progress', { queueId: entry.queueId, stage: 'connecting', at: 2000, detail: 'Connecting to relay.example.com:587' }))
    expect(screen.getByText(`${entry.queueId} is being retried: Connecting to relay.example.com:587.`)).toBeTruthy()
    await act(() =>
      fake.emit('delivery.progress', {
        queueId: entry.queueId,
        stage: 'deferred',
        at: 3000,
        detail: 'deferred',
        recipient: entry.recipients[0]!,
        explanation: { cause: 'connection-refused', summary: 'The relay refused the connection.', fix: 'Check Relay Port.' },
      }),
    )
    const notice = screen.getByText(new RegExp(`^${entry.queueId} deferred again: The relay refused the connection\\.`))
    expect(notice.className).toContain('notice-error')
  })

  it('says Retry now sent the message, in green', async () => {
    const fake = createFakeApi({ queue: 1 })
    const entry = queueEntry(0)
    fake.handle('queue.retry', () => ({ ok: true, data: entry }))
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: `Retry ${entry.queueId} now` }))
    await screen.findByText(`${entry.queueId} is due now and being retried.`)
    await act(() => fake.emit('delivery.progress', { queueId: entry.queueId, stage: 'sent', at: Date.now() + 1000, detail: 'Delivered', recipient: entry.recipients[0]! }))
    expect(screen.getByText(`${entry.queueId} sent to ${entry.recipients[0]!}.`).className).toContain('notice-ok')
  })

  it('shows the source and the details of a message', async () => {
    const fake = createFakeApi({ queue: 1 })
    const entry = queueEntry(0)
    const detail = {
      ...entry,
      messageId: '<m1@mail.example.com>',
      recipientsDetail: [{ address: 'user0@example.org', status: 'pending' as const, dsn: '4.4.1', reply: null, updatedAt: 0 }],
      attemptsLog: [],
    }
    const source = 'Subject: Alert 0\r\n\r\nDisk full'
    fake.handle('message.get', ({ queueId }) => ({
      ok: true,
      data: {
        queueId,
        inQueue: detail,
        sender: entry.sender,
        subject: entry.subject,
        messageId: detail.messageId,
        story: [],
        headers: [{ name: 'Subject', value: 'Alert 0' }],
        source: { kind: 'kept', source, truncated: false, size: source.length },
      },
    }))
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: `Open message ${entry.queueId}` }))
    const dialog = screen.getByRole('dialog', { name: `Message ${entry.queueId}` })
    expect(await within(dialog).findByText(/Disk full/)).toBeTruthy()
    expect(within(dialog).getByText('<m1@mail.example.com>')).toBeTruthy()
    expect(within(dialog).getByText('4.4.1')).toBeTruthy()
    await user.click(within(dialog).getByRole('button', { name: 'Close' }))
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('refetches page one when the engine says the queue changed', async () => {
    const fake = createFakeApi({ queue: 2 })
    renderConsole(fake, '#/queue')
    await screen.findByText('1–2 of 2')
    const before = fake.callsOf('queue.list').length
    fake.queue = [queueEntry(99, { state: 'active', explanation: null, reason: null }), ...fake.queue]
    fake.emit('queue.changed', { reason: 'submitted' })
    fake.emit('queue.changed', { reason: 'submitted' })
    fake.emit('queue.changed', { reason: 'submitted' })
    await screen.findByText('1–3 of 3')
    // A burst of events is one refetch.
    expect(fake.callsOf('queue.list').length - before).toBe(1)
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ cursor: null })
  })

  it('filters by state and text', async () => {
    const fake = createFakeApi()
    fake.queue = [queueEntry(0, { state: 'hold' }), queueEntry(1), queueEntry(2, { recipients: ['boss@corp.example'] })]
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await screen.findByText('1–3 of 3')
    await user.selectOptions(screen.getByLabelText('State'), 'hold')
    await screen.findByText('1–1 of 1')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ state: 'hold', cursor: null })
    await user.selectOptions(screen.getByLabelText('State'), '')
    await user.type(screen.getByLabelText('Search'), 'boss')
    await screen.findByText('1–1 of 1')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ text: 'boss' })
    // Typing is debounced: one request for the word, not one per key.
    expect(fake.callsOf('queue.list').filter((r) => r.text !== undefined)).toHaveLength(1)
  })

  it('keeps the page size in the address, and opens with the size it names', async () => {
    const fake = createFakeApi({ queue: 3 })
    renderConsole(fake, '#/queue?limit=100')
    await screen.findByText('1–3 of 3')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ limit: 100 })
    expect(screen.getByLabelText<HTMLSelectElement>('Page size').value).toBe('100')
    await userEvent.setup().selectOptions(screen.getByLabelText('Page size'), '25')
    await waitFor(() => expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ limit: 25 }))
    expect(window.location.hash).toBe('#/queue?limit=25')
  })

  it('says what the empty queue means', async () => {
    renderConsole(createFakeApi(), '#/queue')
    expect(await screen.findByText('The queue is empty. Messages waiting to be sent appear here.')).toBeTruthy()
  })
})

describe('Delete Queue', () => {
  it('shows how many messages will go, asks, and reports the count', async () => {
    const fake = createFakeApi({ queue: 7 })
    renderConsole(fake, '#/delete-queue')
    const user = userEvent.setup()
    expect(await screen.findByText('7 messages')).toBeTruthy()
    expect(screen.getByRole('cell', { name: 'example.org' })).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Delete Queue' }))
    const dialog = screen.getByRole('dialog')
    expect(dialog.textContent).toContain('7 messages will be deleted')
    expect(fake.callsOf('queue.deleteAll')).toHaveLength(0)
    await user.click(within(dialog).getByRole('button', { name: 'Yes' }))
    expect(await screen.findByText('Deleted 7 messages.')).toBeTruthy()
    expect(fake.callsOf('queue.deleteAll')).toHaveLength(1)
    await screen.findByText('The queue is empty: there is nothing to delete.')
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Delete Queue' }).disabled).toBe(true)
  })

  it('does nothing on Cancel', async () => {
    const fake = createFakeApi({ queue: 2 })
    renderConsole(fake, '#/delete-queue')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Delete Queue' }))
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(fake.callsOf('queue.deleteAll')).toHaveLength(0)
    expect(fake.queue).toHaveLength(2)
  })
})

describe('Flush Queue', () => {
  it('says how many held messages stay held, with the verb agreeing', async () => {
    const fake = createFakeApi({ queue: 4 })
    fake.queue[0]!.state = 'hold'
    renderConsole(fake, '#/flush-queue')
    expect(await screen.findByText('1 message on hold stays on hold.')).toBeTruthy()
  })

  it('names Retry now on a held message as releasing it', async () => {
    const fake = createFakeApi({ queue: 2 })
    fake.queue[0]!.state = 'hold'
    renderConsole(fake, '#/queue')
    const held = fake.queue[0]!.queueId
    const button = await screen.findByRole('button', { name: `Retry ${held} now (releases it from hold)` })
    expect(button.getAttribute('title')).toBe(`Retry ${held} now (releases it from hold)`)
    expect(screen.getByRole('button', { name: `Retry ${fake.queue[1]!.queueId} now` })).toBeTruthy()
  })

  it('asks Yes, then says what became of the messages as their attempts end, in a colour that matches', async () => {
    const fake = createFakeApi({ queue: 4 })
    renderConsole(fake, '#/flush-queue')
    const user = userEvent.setup()
    expect(await screen.findByText('4 deferred messages')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Flush Queue' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes' }))
    await waitFor(() => expect(fake.callsOf('queue.flush')).toHaveLength(1))
    // Not green before anything went out.
    const pending = await screen.findByText('4 messages due now: being tried.')
    expect(pending.className).toContain('notice-info')

    const outcome = (sent: number, deferred: number, waiting: number) =>
      act(() => fake.emit('queue.progress', { action: 'flush', done: 4, total: 4, finished: true, outcome: { sent, deferred, bounced: 0, waiting } }))
    await outcome(1, 0, 3)
    expect(screen.getByText('Flush Queue: 1 sent, 0 still deferred, 3 being tried.').className).toContain('notice-info')
    await outcome(4, 0, 0)
    expect(screen.getByText('Flush Queue: 4 sent, 0 still deferred.').className).toContain('notice-ok')
  })

  it('says in red when every retry failed again', async () => {
    const fake = createFakeApi({ queue: 4 })
    renderConsole(fake, '#/flush-queue')
    const user = userEvent.setup()
    expect(await screen.findByText('4 deferred messages')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Flush Queue' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes' }))
    await screen.findByText('4 messages due now: being tried.')
    await act(() => fake.emit('queue.progress', { action: 'flush', done: 4, total: 4, finished: true, outcome: { sent: 0, deferred: 4, bounced: 0, waiting: 0 } }))
    const notice = screen.getByText(/^Flush Queue: 0 sent, 4 still deferred\./)
    expect(notice.className).toContain('notice-error')
    expect(within(notice).getByRole('link', { name: 'See why in the Mail Queue' })).toBeTruthy()
  })
})
