import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { FlushOutcome } from '../../../src/shared/types.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { closedPort, startSmtp } from '../../helpers/smtp.ts'

// Flush Queue's outcome, as queue.progress events carry it while the flushed
// messages' attempts end: against a relay that is down, then up on that port.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const alerts = (n: number) => Array.from({ length: n }, (_, i) => ({ to: [`oncall${i}@example.net`], subject: `alert ${i}`, text: 'x' }))

async function flushAndFollow(engine: CoreEngine): Promise<{ count: number; outcomes: FlushOutcome[] }> {
  const outcomes: FlushOutcome[] = []
  const off = engine.on('queue.progress', (p) => {
    if (p.action === 'flush' && p.outcome) outcomes.push(p.outcome)
  })
  const { count } = unwrap(await engine.call('queue.flush', undefined))
  await waitFor(() => outcomes.some((o) => o.waiting === 0 && o.sent + o.deferred + o.bounced === count), 'every flushed message attempted')
  off()
  return { count, outcomes }
}

describe('Flush Queue outcome', () => {
  it('counts what the flushed messages became: all deferred again while the relay is down, all sent once it is up', async () => {
    const port = await closedPort()
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: port })
    cleanups.push(async () => {
      await engine.close()
      removeDir(engine.dataDir)
    })
    await engine.submit(alerts(4))
    await waitFor(() => engine.queueView.count('deferred') === 4 && engine.worker.activeCount === 0, '4 deferred')

    const down = await flushAndFollow(engine)
    expect(down.count).toBe(4)
    expect(down.outcomes.at(-1)).toEqual({ sent: 0, deferred: 4, bounced: 0, waiting: 0 })
    await waitFor(() => engine.worker.activeCount === 0, 'the worker idle')

    const server = await startSmtp({ tls: 'none', port })
    cleanups.push(() => server.close())
    const up = await flushAndFollow(engine)
    expect(up.outcomes.at(-1)).toEqual({ sent: 4, deferred: 0, bounced: 0, waiting: 0 })
    expect(server.received).toHaveLength(4)
  })
})
