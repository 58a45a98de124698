import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { localDay } from '../../../src/renderer/format.ts'
import { engineWith, removeDir, tempDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Export CSV gives one file per table in a zip, each with its own heading row, read back with Info-ZIP's unzip.

let relay: TestSmtp
let engine: CoreEngine
const dir = tempDir()

beforeAll(async () => {
  relay = await startSmtp({ tls: 'none' })
  engine = await engineWith({ relayHost: '127.0.0.1', relayPort: relay.port })
  await engine.submit([{ to: ['ops@example.net', 'jane@example.org'], subject: 'Disk at 91%', text: 'x' }])
  await waitFor(() => relay.received.length === 1 && engine.worker.activeCount === 0, 'the message relayed')
})

afterAll(async () => {
  await engine.close()
  await relay.close()
  removeDir(dir)
})

describe('reports.export as csv-zip', () => {
  it('is a zip of one CSV file per table, each starting with its own columns', async () => {
    const date = localDay(0)
    const file = unwrap(await engine.call('reports.export', { date, top: 20, format: 'csv-zip' }))
    expect(file).toMatchObject({ filename: `smtp-report-${date}-csv.zip`, mimeType: 'application/zip', encoding: 'base64' })
    const path = join(dir, file.filename)
    writeFileSync(path, Buffer.from(file.content, 'base64'))
    // -t tests every file's CRC.
    expect(execFileSync('unzip', ['-tq', path], { encoding: 'utf8' })).toMatch(/^No errors detected/)
    const names = execFileSync('unzip', ['-Z1', path], { encoding: 'utf8' }).trim().split('\n')
    expect(names).toContain(`smtp-report-${date}-totals.csv`)
    expect(names).toContain(`smtp-report-${date}-hours.csv`)
    expect(names).toContain(`smtp-report-${date}-domains.csv`)
    const read = (table: string) => execFileSync('unzip', ['-p', path, `smtp-report-${date}-${table}.csv`], { encoding: 'utf8' }).split('\r\n')
    const totals = read('totals')
    expect(totals[0]).toBe('key,value,previous,change')
    expect(totals).toContain('delivered,2,0,2')
    expect(read('hours')[0]).toBe('hour,start,utc_offset_min,received,delivered,deferred,bounced')
    expect(read('domains')[0]).toBe('domain,sent,bytes,defers,avg_delay_ms,max_delay_ms')
    expect(read('domains').slice(1, 3).map((l) => l.split(',')[0]).sort()).toEqual(['example.net', 'example.org'])
  })
})
