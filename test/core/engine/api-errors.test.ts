import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap } from '../../helpers/engine.ts'

// Only the explicit input-error classes reach the admin as invalid input: a
// RangeError thrown by a fault of the console is internal, and written to Logs.

let engine: CoreEngine | null = null

afterEach(async () => {
  if (!engine) return
  const dir = engine.dataDir
  await engine.close()
  removeDir(dir)
  engine = null
})

describe('errors at the API boundary', () => {
  it('a RangeError from a fault of ours (a clock past the last Date) is internal and logged, not invalid input', async () => {
    // A clock gone wrong: SQLite stores the number, but no Date can be made of it (toISOString throws RangeError).
    let clock = Date.now()
    engine = await engineWith({}, { startWorker: false, now: () => clock })
    clock = 9e15
    expect(() => new Date(clock).toISOString()).toThrow(RangeError)
    const result = await engine.call('mail.sendTest', { to: 'admin@example.test' })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'internal', message: expect.stringMatching(/^mail\.sendTest failed: .*See Logs/) })
    const logged = unwrap(await engine.call('events.list', { limit: 10, level: 'error' })).items
    expect(logged.map((e) => e.message)).toContainEqual(expect.stringMatching(/^mail\.sendTest failed: Invalid time value/))
  })

  it('a day not on the calendar is still invalid input, in the admin’s words, and not logged', async () => {
    engine = await engineWith({}, { startWorker: false })
    const result = await engine.call('reports.day', { date: '2026-02-30', top: 10 })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^2026-02-30 is not a calendar day/) })
    const logged = unwrap(await engine.call('events.list', { limit: 10, level: 'error' })).items
    expect(logged).toEqual([])
  })
})
