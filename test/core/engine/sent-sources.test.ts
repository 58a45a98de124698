import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// The source of a message that left the queue as sent is kept for Keep sent messages, so the
// Mail Log can open it; pruned by age and by the size cap, oldest first, and said so plainly.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const DAY = 86400 * 1000
const MIB = 1024 * 1024

async function deliveringEngine(over: Parameters<typeof engineWith>[0] = {}): Promise<{ engine: CoreEngine; clock: { t: number } }> {
  const server = await startSmtp({ tls: 'none' })
  cleanups.push(() => server.close())
  const clock = { t: Date.now() }
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: server.port, ...over }, { now: () => clock.t })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return { engine, clock }
}

async function sendOne(engine: CoreEngine, subject: string, text = 'the body of the message'): Promise<string> {
  const { queueId } = (await engine.submit([{ to: ['oncall@example.net'], subject, text }]))[0]!
  await waitFor(() => !engine.queueView.has(queueId) && engine.worker.activeCount === 0, `${subject} sent`)
  return queueId
}

describe('kept sources of sent messages', () => {
  it('opens a delivered message with its story, headers and source', async () => {
    const { engine } = await deliveringEngine()
    const queueId = await sendOne(engine, 'Disk almost full on db1')
    const m = unwrap(await engine.call('message.get', { queueId }))
    expect(m.inQueue).toBeNull()
    expect(m.subject).toBe('Disk almost full on db1')
    expect(m.story.map((e) => e.status)).toEqual(['received', 'sent'])
    expect(m.headers.find((h) => h.name.toLowerCase() === 'subject')?.value).toBe('Disk almost full on db1')
    expect(m.source.kind).toBe('kept')
    if (m.source.kind === 'kept') expect(m.source.source).toContain('the body of the message')
  })

  it('prunes a source older than Keep sent messages and says so', async () => {
    const { engine, clock } = await deliveringEngine({ sourceRetentionDays: 7 })
    const old = await sendOne(engine, 'old one')
    clock.t += 6 * DAY
    const recent = await sendOne(engine, 'recent one')
    clock.t += 2 * DAY
    await engine.pruneSources()
    const gone = unwrap(await engine.call('message.get', { queueId: old }))
    expect(gone.source.kind).toBe('gone')
    if (gone.source.kind === 'gone') {
      expect(gone.source.note).toBe('Its source was pruned: sent messages are kept 7 day(s) (Keep sent messages (Advanced)).')
      expect(gone.source.at).toBe(clock.t)
    }
    // What is known of it stays: its subject and its story.
    expect(gone.subject).toBe('old one')
    expect(gone.story.map((e) => e.status)).toEqual(['received', 'sent'])
    expect(unwrap(await engine.call('message.get', { queueId: recent })).source.kind).toBe('kept')
  })

  it('prunes the oldest sources past the size cap', async () => {
    const { engine, clock } = await deliveringEngine({ sourceRetentionBytes: 1 * MIB })
    const big = 'x'.repeat(76) + '\n'
    const ids: string[] = []
    for (const n of [1, 2, 3]) {
      ids.push(await sendOne(engine, `big ${n}`, big.repeat(5000)))
      clock.t += 1000
    }
    await engine.pruneSources()
    const kinds = await Promise.all(ids.map(async (queueId) => unwrap(await engine.call('message.get', { queueId })).source))
    expect(kinds.map((s) => s.kind)).toEqual(['gone', 'kept', 'kept'])
    expect(kinds[0]!.kind === 'gone' && kinds[0]!.note).toMatch(/^Its source was pruned to keep the kept messages under 1 MiB/)
    expect(engine.sentSources.keptBytes()).toBeLessThanOrEqual(MIB)
  })

  it('keeps no source when Keep sent messages is 0, and says why', async () => {
    const { engine } = await deliveringEngine({ sourceRetentionDays: 0 })
    const queueId = await sendOne(engine, 'not kept')
    const m = unwrap(await engine.call('message.get', { queueId }))
    expect(m.source).toMatchObject({ kind: 'gone', note: 'Its source was not kept: Keep sent messages (Advanced) was 0 when it left the queue.' })
  })

  it('answers not_found for a queue id it never saw', async () => {
    const { engine } = await deliveringEngine()
    const r = await engine.call('message.get', { queueId: 'ABCDEF123456' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('not_found')
  })
})
