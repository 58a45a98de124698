import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort, startSmtp } from '../../helpers/smtp.ts'

// Search that finds: a part of a queue id, the reason and the reply, the relay's "queued as"
// id and the subject, in the Mail Log as in the Mail Queue, with the index and without it.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function engineOn(port: number, logSearch: 'auto' | 'like'): Promise<CoreEngine> {
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: port }, { logSearch })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return engine
}

const mailLogIds = async (engine: CoreEngine, text: string) => [...new Set(unwrap(await engine.call('mailLog.list', { text, limit: 500 })).items.map((e) => e.queueId))]
const queueIds = async (engine: CoreEngine, text: string) => unwrap(await engine.call('queue.list', { text, limit: 500 })).items.map((e) => e.queueId)

describe.each(['auto', 'like'] as const)('search that finds (%s)', (logSearch) => {
  it('finds a sent message in the Mail Log by its subject, part of its queue id and the relay’s reply', async () => {
    const server = await startSmtp({ tls: 'none' })
    cleanups.push(() => server.close())
    const engine = await engineOn(server.port, logSearch)
    const [a, b] = await engine.submit([
      { to: ['oncall@example.net'], subject: 'Nightly backup finished', text: 'ok' },
      { to: ['oncall@example.net'], subject: 'Disk almost full', text: 'df' },
    ])
    await waitFor(() => engine.queueView.count() === 0 && engine.worker.activeCount === 0, 'both sent')
    // Indexed (or not): the search goes through the index up to its mark, the rest by LIKE.
    while (engine.logIndexer.turn() > 0);
    expect(await mailLogIds(engine, 'nightly BACKUP')).toEqual([a!.queueId])
    expect(await mailLogIds(engine, a!.queueId.slice(3, 9).toLowerCase())).toEqual([a!.queueId])
    // The relay's reply (where a relay says "queued as …", that id) is searched as it was given.
    const sent = unwrap(await engine.call('mailLog.list', { text: b!.queueId, status: 'sent', limit: 50 })).items[0]!
    expect(sent.reply).toBeTruthy()
    expect((await mailLogIds(engine, sent.reply!.slice(4))).sort()).toEqual([a!.queueId, b!.queueId].sort())
  })

  it('finds a deferred message in the Mail Queue by part of its queue id and by its reason', async () => {
    const engine = await engineOn(await closedPort(), logSearch)
    const [a] = await engine.submit([
      { to: ['oncall@example.net'], subject: 'first', text: 'x' },
      { to: ['oncall@example.org'], subject: 'second', text: 'y' },
    ])
    await waitFor(() => engine.queueView.count('deferred') === 2 && engine.worker.activeCount === 0, 'both deferred')
    expect(await queueIds(engine, a!.queueId.slice(2, 8).toLowerCase())).toEqual([a!.queueId])
    // The server's words and the decoded cause both find it.
    expect(await queueIds(engine, 'ECONNREFUSED')).toHaveLength(2)
    expect(await queueIds(engine, 'refused the connection')).toHaveLength(2)
  })
})
