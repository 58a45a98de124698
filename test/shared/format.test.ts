import { afterEach, describe, expect, it } from 'vitest'
import { InputError } from '../../src/main/core/engine/api-errors.ts'
import type { CoreEngine } from '../../src/main/core/engine/engine.ts'
import { formatBytes } from '../../src/shared/format.ts'
import { FIELD_LABELS } from '../../src/shared/labels.ts'
import { engineWith, removeDir, unwrap } from '../helpers/engine.ts'

// One way to write a size, in the engine's messages and on the pages: units
// of 1024 named KiB and MiB, as Edit Settings names the Message size limit.

const engines: CoreEngine[] = []
afterEach(async () => {
  for (const engine of engines.splice(0)) {
    await engine.close()
    removeDir(engine.dataDir)
  }
})

describe('formatBytes', () => {
  it('writes bytes below 1 KiB as they are, then KiB, MiB, GiB with one decimal below 10', () => {
    expect(formatBytes(812)).toBe('812 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(4300)).toBe('4.2 KiB')
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB')
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB')
    expect(formatBytes(null)).toBe('—')
    expect(formatBytes(Number.NaN)).toBe('—')
  })

  it('writes the engine’s refusal of a message over the limit (the pages use it too: test/renderer/queue.test.tsx)', async () => {
    const engine = await engineWith({ maxMessageSizeBytes: 1536 }, { startWorker: false })
    engines.push(engine)
    const error = await engine.submit([{ to: ['admin@example.net'], subject: 'Big', text: 'x'.repeat(5 * 1024) }]).then(
      () => null,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(InputError)
    const message = (error as Error).message
    expect(message).toContain(`over the limit of ${formatBytes(1536)} `)
    expect(message).toContain('1.5 KiB')
    expect(message).toContain(`set in ${FIELD_LABELS.maxMessageSizeBytes} (Edit Settings, Advanced)`)
    const size = /^The message is (\S+ \S+),/.exec(message)?.[1]
    expect(size).toMatch(/^\d+(\.\d)? KiB$/)
    expect(unwrap(await engine.call('queue.list', { limit: 5 })).items).toEqual([])
  })
})
