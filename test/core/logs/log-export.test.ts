import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { logCsv } from '../../../src/main/core/logs/log-export.ts'
import { makeExportHandler } from '../../../src/main/electron/export-handler.ts'
import { startNode } from '../../helpers/child.ts'
import { removeDir, tempDir } from '../../helpers/engine.ts'

// Export CSV of the Mail Log and Logs: exactly the rows the filter shows,
// newest first, quoted as the report's CSV is; streamed so a million rows
// go out in bounded memory; saved by the desktop app where the admin chose.

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

const AT = Date.UTC(2030, 2, 1, 8, 0, 0)

async function open(logSearch: 'auto' | 'like' = 'auto'): Promise<CoreEngine> {
  const dir = tempDir()
  dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'], logSearch, now: () => AT })
  engines.push(engine)
  return engine
}

function seed(engine: CoreEngine): void {
  engine.db.exec('BEGIN')
  const rows = [
    { queueId: 'AAAA00000001', recipient: 'ann@example.org', status: 'sent', reply: '250 2.0.0 Ok: queued as 4XY', dsn: '2.0.0', cause: null },
    { queueId: 'AAAA00000002', recipient: 'bob@corp.example.net', status: 'deferred', reply: '451 4.7.1 "Greylisted", try again, later\r\nsee https://corp.example.net', dsn: '4.7.1', cause: 'greylisted' },
    { queueId: 'AAAA00000003', recipient: 'carol@example.org', status: 'bounced', reply: '550 5.1.1 <carol@example.org>: no such user', dsn: '5.1.1', cause: 'unknown-recipient' },
    { queueId: 'AAAA00000004', recipient: 'dave@corp.example.net', status: 'deferred', reply: '421 4.4.2 Connection timed out', dsn: '4.4.2', cause: null },
    { queueId: 'AAAA00000005', recipient: 'erin@corp.example.net', status: 'sent', reply: '250 ok', dsn: '2.0.0', cause: null },
  ] as const
  rows.forEach((r, i) =>
    engine.mailLog.append({ ...r, at: AT + i * 1000, sender: 'alerts@example.test', relay: 'relay.example.test[192.0.2.10]:587', delayMs: 1500 + i, size: 1200 + i, tls: 'TLSv1.3' }),
  )
  engine.db.exec('COMMIT')
}

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const c of chunks) out += c
  return out
}

describe('the CSV of a filtered log', () => {
  it.each(['auto', 'like'] as const)('holds exactly the deferred rows matching "corp.example", newest first, quoted as the report CSV is (%s)', async (mode) => {
    const engine = await open(mode)
    seed(engine)
    const exp = engine.exportCsv({ log: 'mailLog', status: 'deferred', text: 'corp.example' })
    expect(exp.filename).toBe('smtp-mail-log-2030-03-01.csv')
    expect(await text(exp.chunks)).toBe(
      'at,queue_id,sender,recipient,status,relay,delay_ms,dsn,tls,size,reply,cause,summary\r\n' +
        '2030-03-01T08:00:03.000Z,AAAA00000004,alerts@example.test,dave@corp.example.net,deferred,relay.example.test[192.0.2.10]:587,1503,4.4.2,TLSv1.3,1203,421 4.4.2 Connection timed out,,\r\n' +
        `2030-03-01T08:00:01.000Z,AAAA00000002,alerts@example.test,bob@corp.example.net,deferred,relay.example.test[192.0.2.10]:587,1501,4.7.1,TLSv1.3,1201,"451 4.7.1 ""Greylisted"", try again, later\r\nsee https://corp.example.net",greylisted,${csvText(engine, 'greylisted')}\r\n`,
    )
    expect(exp.rows).toBe(2)
  })

  it('walks page after page without losing or repeating a row (pages of 2 rows)', async () => {
    const engine = await open()
    seed(engine)
    const whole = await text(engine.exportCsv({ log: 'mailLog' }).chunks)
    const paged = logCsv({ db: engine.db, mailLog: engine.mailLog, events: engine.events, now: () => AT }, { log: 'mailLog' }, 2)
    expect(await text(paged.chunks)).toBe(whole)
    expect(paged.rows).toBe(5)
    expect(whole.match(/^[^,]+,(AAAA\d{8}),/gm)!.map((l) => l.split(',')[1])).toEqual(['AAAA00000005', 'AAAA00000004', 'AAAA00000003', 'AAAA00000002', 'AAAA00000001'])
  })

  it('exports the Logs filtered by Level and text, details as their JSON', async () => {
    const engine = await open()
    engine.events.append('warning', 'queue', 'Delete Queue: 3 message(s) deleted by the administrator.', { count: 3 })
    engine.events.append('error', 'settings', 'The settings file could not be read, "settings" is not an object', { fields: ['relayHost'] })
    engine.events.append('error', 'delivery', 'Delivery worker error: disk full')
    const exp = engine.exportCsv({ log: 'events', level: 'error', text: 'settings' })
    expect(exp.filename).toBe('smtp-logs-2030-03-01.csv')
    expect(await text(exp.chunks)).toBe(
      'at,level,source,message,details\r\n' +
        '2030-03-01T08:00:00.000Z,error,settings,"The settings file could not be read, ""settings"" is not an object","{""fields"":[""relayHost""]}"\r\n',
    )
  })
})

function csvText(engine: CoreEngine, cause: string): string {
  const summary = engine.mailLog.forQueueId('AAAA00000002')[0]!.explanation!.summary
  expect(engine.mailLog.forQueueId('AAAA00000002')[0]!.explanation!.cause).toBe(cause)
  return /[",\r\n]/.test(summary) ? `"${summary.replace(/"/g, '""')}"` : summary
}

describe('a streamed export of 1,000,000 rows', () => {
  it('produces every row while memory rises by far less than the file it writes', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const child = startNode(['--expose-gc', 'test/helpers/export-memory-child.ts', dir, '1000000'])
    const code = await child.exited
    expect(code, child.stderr()).toBe(0)
    const m = JSON.parse(child.stdout().trim()) as { bytes: number; lines: number; chunks: number; rows: number; header: string; rssGrowth: number; heapGrowth: number }
    expect(m.rows).toBe(1_000_000)
    expect(m.lines).toBe(1_000_001)
    expect(m.chunks).toBe(1 + 200)
    expect(m.bytes).toBeGreaterThan(180 * 1024 * 1024)
    // The file is ~190 MB (and a JS string of it twice that); a page of 5,000 rows is ~1 MB. Measured: RSS +36 MB, kept heap +1 MB.
    expect(m.rssGrowth, JSON.stringify(m)).toBeLessThan(48 * 1024 * 1024)
    expect(m.heapGrowth, JSON.stringify(m)).toBeLessThan(16 * 1024 * 1024)
  }, 180_000)
})

describe('Export CSV in the desktop app (the handler behind the save dialog)', () => {
  const trusted = (e: { fromWindow: boolean }) => e.fromWindow

  it('streams the filter’s rows into the chosen file and says how many', async () => {
    const engine = await open()
    seed(engine)
    const out = tempDir()
    dirs.push(out)
    const file = join(out, 'chosen.csv')
    const suggested: string[] = []
    const handler = makeExportHandler(engine, trusted, async (name) => (suggested.push(name), file))
    const result = await handler({ fromWindow: true }, { log: 'mailLog', text: 'example.org' })
    expect(result).toEqual({ ok: true, data: { kind: 'saved', filename: 'smtp-mail-log-2030-03-01.csv', file, rows: 2 } })
    expect(suggested).toEqual(['smtp-mail-log-2030-03-01.csv'])
    expect(readFileSync(file, 'utf8')).toBe(await text(engine.exportCsv({ log: 'mailLog', text: 'example.org' }).chunks))
    expect(readdirSync(out)).toEqual(['chosen.csv'])
  })

  it('writes nothing when the admin cancels, refuses another sender, and checks the filter', async () => {
    const engine = await open()
    seed(engine)
    const handler = makeExportHandler(engine, trusted, async () => null)
    expect(await handler({ fromWindow: true }, { log: 'events' })).toEqual({ ok: true, data: { kind: 'cancelled' } })
    const refused = await handler({ fromWindow: false }, { log: 'events' })
    expect(!refused.ok && refused.error.code).toBe('forbidden')
    const mixed = await handler({ fromWindow: true }, { log: 'events', status: 'sent' })
    expect(!mixed.ok && mixed.error.message).toMatch(/Status filters the Mail Log and Level the Logs/)
  })

  it('a folder it cannot write is a storage error, and no partial file is left', async () => {
    if (process.getuid?.() === 0) return // root writes anywhere: the refusal cannot be shown
    const engine = await open()
    seed(engine)
    const out = tempDir()
    dirs.push(out)
    const locked = join(out, 'locked')
    mkdirSync(locked)
    chmodSync(locked, 0o500)
    const result = await makeExportHandler(engine, trusted, async () => join(locked, 'x.csv'))({ fromWindow: true }, { log: 'mailLog' })
    expect(!result.ok && result.error.code).toBe('storage')
    expect(existsSync(join(locked, 'x.csv'))).toBe(false)
    expect(readdirSync(locked)).toEqual([])
  })
})
