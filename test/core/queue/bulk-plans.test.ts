import { afterEach, describe, expect, it } from 'vitest'
import { FLUSH_CHUNK_SQL } from '../../../src/main/core/queue/queue.ts'
import { engineWith, removeDir } from '../../helpers/engine.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'

// How SQLite runs the bulk actions' statements decides whether a million
// messages take one second or five: the plan is part of the contract.

const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) {
    const e = engines.pop()!
    await e.close()
    removeDir(e.dataDir)
  }
})

describe('the bulk actions’ query plans', () => {
  it('Flush Queue walks each chunk by row id, not the index on the column it changes', async () => {
    const engine = await engineWith({}, { startWorker: false })
    engines.push(engine)
    // With the statistics a large queue would give it, so the planner weighs the indexes as it would then.
    engine.db.exec('ANALYZE')
    const plan = (engine.db.prepare(`EXPLAIN QUERY PLAN ${FLUSH_CHUNK_SQL}`).all(1, 0, 10_000, 1) as { detail: string }[]).map((r) => r.detail)
    expect(plan.join('\n')).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/)
    expect(plan.join('\n')).not.toMatch(/messages_due/)
  })
})
