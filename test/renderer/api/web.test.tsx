// @vitest-environment jsdom
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { EventSource } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvents } from '../../../src/shared/api.ts'
import { createWebApi, LOST_CONTACT, takeToken } from '../../../src/renderer/api/web.ts'
import { serveConsole } from '../../helpers/web.ts'
import { renderConsole } from '../render.tsx'

// The browser adapter of the renderer against the real web adapter and the
// real engine on loopback: requests, errors as values, and pushed events.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function serve() {
  const { engine, server, base } = await serveConsole(cleanups)
  // The event stream is open once its 'open' event fired; events sent before that are not replayed.
  let opened: Promise<unknown> = Promise.reject(new Error('no event stream was opened'))
  opened.catch(() => {})
  class Source extends EventSource {
    constructor(url: string) {
      super(url)
      opened = new Promise((resolve) => this.addEventListener('open', resolve, { once: true }))
    }
  }
  const api = createWebApi({ token: server.token, base, fetch: (input, init) => fetch(input, init), EventSource: Source })
  return { engine, server, base, api, streamOpen: () => opened }
}

function nextEvent<E extends keyof ApiEvents>(api: ReturnType<typeof createWebApi>, event: E, timeoutMs = 5000): Promise<ApiEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    const off = api.on(event, (payload) => {
      clearTimeout(timer)
      off()
      resolve(payload)
    })
  })
}

describe('the browser API over HTTP', () => {
  it('calls methods and returns the engine’s results, errors included', async () => {
    const { api } = await serve()
    const status = await api['status.get']()
    expect(status).toMatchObject({ ok: true, data: { mode: 'direct', hostname: 'console.example.test' } })

    const view = await api['settings.get']()
    if (!view.ok) throw new Error(view.error.message)
    const invalid = await api['settings.update']({ settings: { ...view.data.settings, hostname: 'not a host' } })
    expect(invalid.ok).toBe(false)
    if (!invalid.ok) expect(invalid.error.fields?.hostname).toContain('fully qualified domain name')

    const missing = await api['queue.get']({ queueId: 'ABCDEF12' })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('says when the token is wrong and when the engine is gone', async () => {
    const { base, server } = await serve()
    const wrong = createWebApi({ token: 'nope', base })
    expect(await wrong['status.get']()).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    await server.close()
    const gone = await createWebApi({ token: server.token, base })['status.get']()
    expect(gone).toEqual({ ok: false, error: { code: 'internal', message: LOST_CONTACT } })
  })

  it('delivers pushed events to listeners', async () => {
    const { api, streamOpen } = await serve()
    const changed = nextEvent(api, 'queue.changed')
    const progress = nextEvent(api, 'delivery.progress')
    await streamOpen()
    const sent = await api['mail.sendTest']({ to: 'ops@example.org' })
    if (!sent.ok) throw new Error(sent.error.message)
    expect(await changed).toHaveProperty('reason')
    expect(await progress).toMatchObject({ queueId: sent.data.queueId, stage: 'queued' })
  })
})

describe('the access token', () => {
  it('is taken from the address once, kept for the tab, and removed from the address bar', () => {
    window.history.replaceState(null, '', '/?token=abc123#/queue')
    expect(takeToken(window)).toBe('abc123')
    expect(window.location.search).toBe('')
    expect(window.location.hash).toBe('#/queue')
    expect(window.sessionStorage.getItem('smtp-console-token')).toBe('abc123')
    expect(takeToken(window)).toBe('abc123')
  })
})

describe('the console over HTTP', () => {
  it('shows the real engine’s state and follows its push events', async () => {
    const { api, streamOpen } = await serve()
    renderConsole({ api }, '#/queue')
    expect(await screen.findByText('The queue is empty. Messages waiting to be sent appear here.')).toBeTruthy()
    await streamOpen()
    const sent = await api['mail.sendTest']({ to: 'far-away-recipient@example.org' })
    if (!sent.ok) throw new Error(sent.error.message)
    const table = await screen.findByRole('table', { name: 'Mail Queue' })
    expect(within(table).getByText(sent.data.queueId)).toBeTruthy()
    expect(screen.getByText('1–1 of 1')).toBeTruthy()

    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: `Delete ${sent.data.queueId}` }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }))
    expect(await screen.findByText('The queue is empty. Messages waiting to be sent appear here.')).toBeTruthy()
  })
})
