// @vitest-environment jsdom
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../../src/shared/api.ts'
import type { QueueActionResult } from '../../../src/shared/types.ts'
import { createFakeApi, queueEntry } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

// The Mail Queue's filter by recipient domain, sender and age, and "Act on
// matching": the count before the Yes, progress while it runs, and only the
// filter's messages acted on.

function mixedQueue() {
  const fake = createFakeApi()
  fake.queue = Array.from({ length: 10 }, (_, i) =>
    i % 3 === 0
      ? queueEntry(i, { sender: 'runaway@app.example.test', recipients: [`u${i}@slow.example.net`] })
      : i % 3 === 1
        ? queueEntry(i, { sender: 'runaway@app.example.test', recipients: [`u${i}@example.org`] })
        : queueEntry(i, { sender: 'billing@example.com', recipients: [`u${i}@slow.example.net`], state: 'hold' }),
  )
  return fake
}

describe('Act on matching', () => {
  it('filters by recipient domain and sender, shows the count before the Yes, then progress, and deletes only those', async () => {
    const fake = mixedQueue()
    const matching = fake.queue.filter((q) => q.sender.startsWith('runaway') && q.recipients[0]!.endsWith('@slow.example.net')).map((q) => q.queueId)
    expect(matching).toHaveLength(4)
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await screen.findByText('1–10 of 10')
    await user.type(screen.getByLabelText('Recipient domain'), 'slow.example.net')
    await screen.findByText('1–7 of 7')
    await user.type(screen.getByLabelText('Sender'), 'runaway')
    await screen.findByText('1–4 of 4')
    expect(fake.callsOf('queue.list').at(-1)).toMatchObject({ domain: 'slow.example.net', sender: 'runaway' })

    // The action answers only when the test says so, with progress events before.
    let finish: (r: Result<QueueActionResult>) => void = () => undefined
    const real = fake.queue
    fake.handle('queue.actOnMatching', (r) => new Promise((resolve) => (finish = (res) => resolve(res))).then((res) => {
      fake.queue = real.filter((q) => !matching.includes(q.queueId))
      expect(r).toEqual({ filter: { domain: 'slow.example.net', sender: 'runaway' }, action: 'delete' })
      return res as Result<QueueActionResult>
    }))

    await user.click(screen.getByRole('button', { name: 'Act on matching…' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByRole('heading').textContent).toBe('Delete: 4 matching messages?')
    expect(dialog.textContent).toContain('4 messages match the filter: to a recipient at slow.example.net, from a sender matching “runaway”.')
    expect(fake.callsOf('queue.countMatching')).toEqual([{ filter: { domain: 'slow.example.net', sender: 'runaway' } }])
    expect(fake.callsOf('queue.actOnMatching')).toHaveLength(0)

    await user.click(within(dialog).getByRole('button', { name: 'Yes' }))
    fake.emit('queue.progress', { action: 'delete', done: 2, total: 4, finished: false })
    expect(await within(dialog).findByText(/2 of 4 done/)).toBeTruthy()
    expect(within(dialog).getByLabelText<HTMLProgressElement>('Progress').value).toBe(2)
    finish({ ok: true, data: { action: 'delete', count: 4 } })
    expect(await screen.findByText('4 messages deleted.')).toBeTruthy()
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(fake.callsOf('queue.actOnMatching')).toHaveLength(1)
    expect(fake.queue.map((q) => q.queueId).sort()).toEqual(real.map((q) => q.queueId).filter((id) => !matching.includes(id)).sort())
  })

  it('does nothing on Cancel, and says so when nothing matches', async () => {
    const fake = mixedQueue()
    renderConsole(fake, '#/queue')
    const user = userEvent.setup()
    await screen.findByText('1–10 of 10')
    await user.selectOptions(screen.getByLabelText('Action'), 'hold')
    await user.click(screen.getByRole('button', { name: 'Act on matching…' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByRole('heading').textContent).toBe('Hold: 10 matching messages?')
    expect(dialog.textContent).toContain('every message in the queue (no filter is set)')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(fake.callsOf('queue.actOnMatching')).toHaveLength(0)

    await user.type(screen.getByLabelText('Sender'), 'nobody')
    await screen.findByText(/No queued message matches the filter/)
    await user.click(screen.getByRole('button', { name: 'Act on matching…' }))
    const empty = await screen.findByRole('dialog')
    expect(empty.textContent).toContain('No message matches the filter now: there is nothing to do.')
    expect(within(empty).getByRole<HTMLButtonElement>('button', { name: 'Yes' }).disabled).toBe(true)
  })
})

describe('Delete Queue progress', () => {
  it('shows how far a running Delete Queue got', async () => {
    const fake = createFakeApi({ queue: 7 })
    let finish: () => void = () => undefined
    fake.handle('queue.deleteAll', () => new Promise((resolve) => (finish = () => resolve({ ok: true, data: { count: 7 } }))))
    renderConsole(fake, '#/delete-queue')
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Delete Queue' }))
    const dialog = screen.getByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Yes' }))
    fake.emit('queue.progress', { action: 'deleteAll', done: 5, total: 7, finished: false })
    expect(await within(dialog).findByText(/5 of 7 done/)).toBeTruthy()
    finish()
    expect(await screen.findByText('Deleted 7 messages.')).toBeTruthy()
  })
})
