import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { removeDir, tempDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'

// Delete Queue leaves the bodies of the messages it removes to a sweeper, so
// the admin waits for the messages, not for their pages. The sweeper must free
// every one of them, and never a body whose message is still (or again) queued.

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(dir = tempDir()): Promise<CoreEngine> {
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  unwrap(await engine.call('settings.update', { settings: testSettings() }))
  return engine
}

async function close(engine: CoreEngine): Promise<void> {
  engines.splice(engines.indexOf(engine), 1)
  await engine.close()
}

const bodies = (e: CoreEngine) => (e.db.prepare('SELECT count(*) AS n FROM message_bodies').get() as { n: number }).n
const orphans = (e: CoreEngine) =>
  (e.db.prepare('SELECT count(*) AS n FROM message_bodies WHERE message_id NOT IN (SELECT id FROM messages)').get() as { n: number }).n

async function submit(e: CoreEngine, n: number, subject: string): Promise<string[]> {
  const results = await e.submit(Array.from({ length: n }, (_, i) => ({ to: [`user${i}@example.net`], subject, text: `${subject} number ${i}` })))
  return results.map((r) => r.queueId)
}

/** Delete Queue's chunks alone, as the bulk runner calls them, without the sweep it starts afterwards. */
function deleteQueueChunks(e: CoreEngine): number {
  const upTo = e.queueView.lastRowId()
  let after = 0
  let changed = 0
  for (;;) {
    const r = e.queue.applyChunk('delete', {}, { after, upTo, limit: 7, whole: true })
    if (r.last === null) return changed
    after = r.last
    changed += r.changed
  }
}

describe('the bodies Delete Queue leaves', () => {
  it('are left by the chunks, then freed by the sweep, which spares messages queued since under the same row ids', async () => {
    const e = await open()
    await submit(e, 20, 'Old')
    expect(deleteQueueChunks(e)).toBe(20)
    expect(e.queueView.count()).toBe(0)
    expect(orphans(e)).toBe(20)
    expect(e.queue.bodies.pending).toBe(true)

    // The queue is empty, so new messages take row ids 1 to 5 again: their bodies replace the old ones.
    const fresh = await submit(e, 5, 'New')
    expect((e.db.prepare('SELECT max(id) AS id FROM messages').get() as { id: number }).id).toBe(5)
    let steps = 0
    while (e.queue.bodies.sweepSome(3) && steps < 100) steps++
    expect(steps).toBeGreaterThan(3)
    expect(e.queue.bodies.pending).toBe(false)
    expect(orphans(e)).toBe(0)
    expect(bodies(e)).toBe(5)
    for (const [i, queueId] of fresh.entries()) {
      const source = unwrap(await e.call('queue.source', { queueId }))
      expect(source.source).toContain(`New number ${i}`)
    }
  })

  it('are freed after a restart when the console stopped before the sweep', async () => {
    const dir = tempDir()
    const first = await open(dir)
    await submit(first, 30, 'Old')
    deleteQueueChunks(first)
    expect(orphans(first)).toBe(30)
    await close(first)

    const again = await open(dir)
    await waitFor(() => !again.queue.bodies.pending, 'the sweep after the restart')
    expect(bodies(again)).toBe(0)
  })

  it('are freed after Delete Queue through the API, and a filtered delete frees its own at once', async () => {
    const e = await open()
    e.bulk.chunk = 4
    await submit(e, 25, 'Old')
    expect(unwrap(await e.call('queue.deleteAll', undefined)).count).toBe(25)
    await waitFor(() => !e.queue.bodies.pending, 'the sweep after Delete Queue')
    expect(bodies(e)).toBe(0)

    await submit(e, 6, 'Kept')
    await submit(e, 4, 'Gone')
    unwrap(await e.call('queue.actOnMatching', { action: 'delete', filter: { text: 'Gone' } }))
    expect(e.queue.bodies.pending).toBe(false)
    expect(orphans(e)).toBe(0)
    expect(bodies(e)).toBe(6)
  })
})
