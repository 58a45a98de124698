import { afterEach, describe, expect, it } from 'vitest'
import type { Page, QueueEntry } from '../../../src/shared/types.ts'
import type { QueueProgress } from '../../../src/shared/types.ts'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'
import { allDeferred, inject, openTestBackend, type TestBackend } from '../../helpers/postfix-backend.ts'
import { freePort, postfixUnusable, startPostfix, type PostfixInstance } from '../../helpers/postfix.ts'

// The Mail Queue of a real private Postfix through the Postfix backend: its
// relay is a closed loopback port, so what is injected stays deferred with
// Postfix's reason until the relay comes back and the queue is flushed.

const unusable = postfixUnusable()

let pf: PostfixInstance | null = null
let tb: TestBackend | null = null
let relayPort = 0

afterEach(async () => {
  await tb?.close()
  await pf?.stop()
  tb = null
  pf = null
})

async function deferredQueue(batches: { count: number; from: string; to: string }[]): Promise<TestBackend> {
  relayPort = await freePort()
  pf = await startPostfix({ relayPort })
  for (const b of batches) inject(pf, b.count, b.from, b.to)
  await allDeferred(pf, batches.reduce((n, b) => n + b.count, 0))
  tb = await openTestBackend(pf)
  return tb
}

/** Every page of the list, walked by nextCursor with `limit` rows a page. */
async function walk(t: TestBackend, limit: number, filter: Record<string, unknown> = {}): Promise<QueueEntry[]> {
  const seen: QueueEntry[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 100; pages++) {
    const page: Page<QueueEntry> = unwrap(await t.backend.call('queue.list', { limit, cursor, ...filter }))
    expect(page.position).toBe(seen.length)
    seen.push(...page.items)
    cursor = page.nextCursor
    if (!cursor) break
  }
  return seen
}

const ids = () => new Set(pf!.queue().map((m) => m.queue_id))

describe.skipIf(unusable !== null)(`the Mail Queue of a real Postfix${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  it('lists deferred messages with their reasons, paged by cursor without loss or repeat, and counts them from the queue directories', async () => {
    const t = await deferredQueue([
      { count: 13, from: 'ops@a.test', to: 'user@one.test' },
      { count: 10, from: 'billing@b.test', to: 'user@two.test' },
    ])
    const seen = await walk(t, 5)
    expect(seen.map((e) => e.queueId).sort()).toEqual([...ids()].sort())
    expect(new Set(seen.map((e) => e.queueId)).size).toBe(23)
    for (const e of seen) {
      expect(e.state).toBe('deferred')
      expect(e.reason).toMatch(new RegExp(`127\\.0\\.0\\.1\\]:${relayPort}: Connection refused`))
      expect(e.recipients).toHaveLength(1)
      expect(e.arrivalAt).toBeGreaterThan(Date.now() - 600_000)
    }
    const first = unwrap(await t.backend.call('queue.list', { limit: 5 }))
    expect(first.total).toBe(23)
    const status = unwrap(await t.backend.call('status.get', undefined))
    expect(status.counts).toEqual({ queued: 0, active: 0, deferred: 23, hold: 0, total: 23 })
    expect(status.mode).toBe('direct')
    expect(status.from).toBe('Postfix Test <alerts@report.test>')
    const summary = unwrap(await t.backend.call('queue.summary', undefined))
    expect(summary.byState.deferred).toBe(23)
    const byState = unwrap(await t.backend.call('queue.list', { limit: 50, state: 'hold' }))
    expect(byState.items).toHaveLength(0)
  })

  it('holds, releases, retries and deletes one message, and shows its source until it is gone', async () => {
    const t = await deferredQueue([{ count: 3, from: 'ops@a.test', to: 'user@one.test' }])
    const [id, other] = [...ids()]
    const held = unwrap(await t.backend.call('queue.hold', { queueId: id! }))
    expect(held.state).toBe('hold')
    expect(pf!.queue().find((m) => m.queue_id === id)?.queue_name).toBe('hold')
    const onHold = unwrap(await t.backend.call('queue.list', { limit: 50, state: 'hold' }))
    expect(onHold.items.map((e) => e.queueId)).toEqual([id])
    expect(unwrap(await t.backend.call('status.get', undefined)).counts.hold).toBe(1)
    unwrap(await t.backend.call('queue.release', { queueId: id! }))
    expect(pf!.queue().find((m) => m.queue_id === id)?.queue_name).toBe('deferred')
    const retried = unwrap(await t.backend.call('queue.retry', { queueId: other! }))
    expect(retried.queueId).toBe(other)
    const source = unwrap(await t.backend.call('queue.source', { queueId: id! }))
    expect(source.source).toMatch(/^From: <ops@a\.test>$/m)
    expect(unwrap(await t.backend.call('queue.delete', { queueId: id! }))).toEqual({ deleted: true })
    expect(ids().has(id!)).toBe(false)
    expect(ids().size).toBe(2)
    const gone = await t.backend.call('queue.source', { queueId: id! })
    expect(gone.ok ? null : gone.error.code).toBe('not_found')
    const again = await t.backend.call('queue.delete', { queueId: id! })
    expect(again.ok ? null : again.error.code).toBe('not_found')
    const list = unwrap(await t.backend.call('queue.list', { limit: 50 }))
    expect(list.items.map((e) => e.queueId).sort()).toEqual([...ids()].sort())
  })

  it('deletes exactly the messages a filter by recipient domain or by sender selects', async () => {
    const t = await deferredQueue([
      { count: 4, from: 'ops@a.test', to: 'user@one.test' },
      { count: 3, from: 'billing@b.test', to: 'user@two.test' },
      { count: 2, from: 'ops@a.test', to: 'user@two.test' },
    ])
    const before = pf!.queue()
    const progress: QueueProgress[] = []
    t.backend.on('queue.progress', (p) => progress.push(p))
    expect(unwrap(await t.backend.call('queue.countMatching', { filter: { domain: 'two.test' } })).count).toBe(5)
    const byDomain = unwrap(await t.backend.call('queue.actOnMatching', { filter: { domain: 'two.test' }, action: 'delete' }))
    expect(byDomain).toEqual({ action: 'delete', count: 5 })
    const left = pf!.queue()
    expect(left.map((m) => m.queue_id).sort()).toEqual(before.filter((m) => m.recipients[0]!.address !== 'user@two.test').map((m) => m.queue_id).sort())
    expect(progress.at(-1)).toEqual({ action: 'delete', done: 5, total: 5, finished: true })
    const held = unwrap(await t.backend.call('queue.actOnMatching', { filter: { sender: 'ops@' }, action: 'hold' }))
    expect(held.count).toBe(4)
    expect(pf!.queue().every((m) => m.queue_name === 'hold')).toBe(true)
    const deleted = unwrap(await t.backend.call('queue.actOnMatching', { filter: { sender: 'ops@a.test', state: 'hold' }, action: 'delete' }))
    expect(deleted.count).toBe(4)
    expect(pf!.queue()).toHaveLength(0)
  })

  it('empties the queue with Delete Queue and counts what postsuper removed', async () => {
    const t = await deferredQueue([{ count: 12, from: 'ops@a.test', to: 'user@one.test' }])
    expect(unwrap(await t.backend.call('queue.list', { limit: 5 })).total).toBe(12)
    expect(unwrap(await t.backend.call('queue.deleteAll', undefined))).toEqual({ count: 12 })
    expect(pf!.queue()).toHaveLength(0)
    const after = unwrap(await t.backend.call('queue.list', { limit: 5 }))
    expect(after.items).toHaveLength(0)
    expect(after.total).toBe(0)
    expect(unwrap(await t.backend.call('status.get', undefined)).counts.total).toBe(0)
  })

  it('Flush Queue sends the deferred messages once the relay is back, and they leave the queue', async () => {
    const t = await deferredQueue([{ count: 6, from: 'ops@a.test', to: 'user@one.test' }])
    // The relay comes back on the port it was missing from.
    const relay = await startSmtp({ port: relayPort, host: '127.0.0.1', tls: 'none' })
    try {
      expect(unwrap(await t.backend.call('queue.flush', undefined))).toEqual({ count: 6 })
      await waitFor(async () => unwrap(await t.backend.call('queue.list', { limit: 50 })).total === 0, 'the flushed messages to leave the queue', 20_000)
      expect(pf!.queue()).toHaveLength(0)
      expect(relay.received).toHaveLength(6)
    } finally {
      await relay.close()
    }
  })

  it('says why the queue cannot be read, never an empty queue, when postqueue fails', async () => {
    await deferredQueue([{ count: 2, from: 'ops@a.test', to: 'user@one.test' }])
    // The same tools pointed at a configuration directory that is not there: postqueue itself refuses.
    const broken = await openTestBackend({ ...pf!, configDir: `${pf!.configDir}-missing` })
    try {
      const down = await broken.backend.call('queue.list', { limit: 50 })
      expect(down.ok).toBe(false)
      if (!down.ok) expect(down.error.message).toMatch(/postqueue -j failed on this computer: .*main\.cf/)
    } finally {
      await broken.close()
    }
  })

  it('turns a runner that cannot finish into an error that says the server could not be read', async () => {
    relayPort = await freePort()
    pf = await startPostfix({ relayPort })
    // A real postqueue, given no time at all: the runner's own timeout, as a dead SSH link would give.
    tb = await openTestBackend(pf, new LocalRunner({ timeoutMs: 1 }))
    const r = await tb.backend.call('status.get', undefined)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('conflict')
      expect(r.error.message).toMatch(/The Postfix server on this computer could not be read or changed: the command did not finish in time/)
    }
  })

  it('sends a test email to the instance with the kept From, and opens it from the queue by the id its 250 gave', async () => {
    const t = await deferredQueue([])
    const sent = unwrap(await t.backend.call('mail.sendTest', { to: 'someone@one.test', subject: 'Postfix test' }))
    expect(sent.queueId).toMatch(/^[0-9A-F]{6,20}$/)
    await waitFor(() => ids().has(sent.queueId), 'the test email in the queue')
    const story = unwrap(await t.backend.call('message.get', { queueId: sent.queueId }))
    expect(story.inQueue?.subject).toBe('Postfix test')
    expect(story.messageId).toBe(sent.messageId)
    expect(story.headers.find((h) => h.name === 'From')?.value).toBe('Postfix Test <alerts@report.test>')
    expect(story.source.kind).toBe('kept')
  })

  it('answers a clear conflict for what Postfix has no use for', async () => {
    const t = await deferredQueue([])
    const r = await t.backend.call('dkim.generateKey', { algorithm: 'ed25519' })
    expect(r.ok ? null : r.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/OpenDKIM/) })
    expect(unwrap(await t.backend.call('mail.transcript', { queueId: 'ABCDEF1234' }))).toBeNull()
  })
})
