import { afterEach, describe, expect, it } from 'vitest'
import { newQueueId } from '../../src/main/core/queue/queue.ts'
import type { CoreEngine } from '../../src/main/core/engine/engine.ts'
import { isQueueId, QUEUE_ID } from '../../src/shared/queue-id.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../helpers/engine.ts'

// The queue id's shape, written once: what the queue makes is what the Mail
// Log's search recognises as a whole id.

const engines: CoreEngine[] = []
afterEach(async () => {
  for (const engine of engines.splice(0)) {
    await engine.close()
    removeDir(engine.dataDir)
  }
})

describe('shared/queue-id.ts', () => {
  it('is the shape of every id the queue makes', () => {
    // Past several draws of the random pool: each id well formed, none repeated.
    const ids = Array.from({ length: 2000 }, () => newQueueId())
    for (const id of ids) expect(id).toMatch(QUEUE_ID)
    expect(new Set(ids).size).toBe(ids.length)
    expect(isQueueId('0a1b2c3d4e5f')).toBe(true)
    for (const text of ['0A1B2C3D4E5', '0A1B2C3D4E5F0', 'GA1B2C3D4E5F', '']) expect(isQueueId(text), text).toBe(false)
  })

  it('is what the Mail Log search takes as a whole id, in either case', async () => {
    const engine = await engineWith({}, { startWorker: false })
    engines.push(engine)
    const sent = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await waitFor(() => engine.mailLog.count() > 0, 'the received line in the Mail Log')
    for (const text of [sent.queueId, sent.queueId.toLowerCase()]) {
      const page = unwrap(await engine.call('mailLog.list', { limit: 5, text }))
      expect(page.items.map((e) => e.queueId), text).toEqual([sent.queueId])
    }
  })
})
