import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../../../src/main/core/storage/db.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { InputError } from '../../../src/main/core/engine/api-errors.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// What the engine does with the file where its database should be, and what
// it refuses to queue: a clear error and nothing changed, never a wipe.

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

function newDir(): string {
  const dir = tempDir()
  dirs.push(dir)
  return dir
}

async function open(dataDir: string): Promise<CoreEngine> {
  // The worker stays paused: these tests look at what was stored, not at delivery.
  const engine = await openEngine({ dataDir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function close(engine: CoreEngine): Promise<void> {
  await engine.close()
  engines.splice(engines.indexOf(engine), 1)
}

/** Asserts openEngine refuses the data directory with a StorageError and leaves queue.sqlite byte for byte as it was. */
async function refused(dataDir: string, message: RegExp): Promise<StorageError> {
  const path = join(dataDir, 'queue.sqlite')
  const before = readFileSync(path)
  const error = await openEngine({ dataDir, startWorker: false }).then(
    async (engine) => {
      await engine.close()
      throw new Error('the engine opened the file')
    },
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(StorageError)
  const storage = error as StorageError
  expect(storage.message).toContain(path)
  expect(storage.message).toMatch(message)
  expect(storage.message).toContain('Nothing was changed')
  expect(readFileSync(path).equals(before)).toBe(true)
  return storage
}

describe('the file where the database should be', () => {
  it('random bytes: refused as not an SMTP Console database, left as it was', async () => {
    const dir = newDir()
    writeFileSync(join(dir, 'queue.sqlite'), randomBytes(8192))
    await refused(dir, /is not an SMTP Console database .*damaged/)
    // A second try says the same; nothing was half-done by the first.
    await refused(dir, /is not an SMTP Console database/)
  })

  it('an SQLite header followed by garbage: refused as damaged', async () => {
    const dir = newDir()
    writeFileSync(join(dir, 'queue.sqlite'), Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(8192, 0xa5)]))
    await refused(dir, /is damaged/)
  })

  it('a console database whose pages were overwritten: refused as damaged, not opened half-way', async () => {
    const dir = newDir()
    const engine = await open(dir)
    await engine.submit(Array.from({ length: 20 }, (_, i) => ({ to: ['admin@example.net'], subject: `Backup ${i}`, text: 'x'.repeat(3000) })))
    await close(engine)
    const path = join(dir, 'queue.sqlite')
    const bytes = readFileSync(path)
    const pageSize = bytes.readUInt16BE(16)
    expect(bytes.length).toBeGreaterThan(4 * pageSize)
    // Page 1 (header and schema) intact, every page after it overwritten.
    bytes.fill(0xa5, pageSize)
    writeFileSync(path, bytes)
    await refused(dir, /is damaged/)
  })

  it('another program’s SQLite database: refused, its data untouched', async () => {
    const dir = newDir()
    const path = join(dir, 'queue.sqlite')
    const foreign = new DatabaseSync(path)
    foreign.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada'), ('Grace')")
    foreign.close()
    await refused(dir, /an SQLite database of another program, not of SMTP Console/)
    const check = new DatabaseSync(path, { readOnly: true })
    expect(check.prepare('SELECT name FROM customers ORDER BY id').all().map((r) => r.name)).toEqual(['Ada', 'Grace'])
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'messages'").get()!.n).toBe(0)
    check.close()
  })

  it('a database written by a newer version: refused, nothing migrated', async () => {
    const dir = newDir()
    const engine = await open(dir)
    const [queued] = await engine.submit([{ to: ['admin@example.net'], subject: 'Kept', text: 'kept' }])
    await close(engine)
    const path = join(dir, 'queue.sqlite')
    const db = new DatabaseSync(path)
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    db.exec('PRAGMA user_version = 99')
    db.close()
    const error = await refused(dir, /written by a newer version of SMTP Console/)
    expect(error.message).toMatch(/schema 99/)

    // Put back, the same file opens with the message still queued.
    const fix = new DatabaseSync(path)
    fix.exec(`PRAGMA user_version = ${version}`)
    fix.close()
    const again = await open(dir)
    expect(again.queueView.has(queued!.queueId)).toBe(true)
  })

  it('an empty file with no write-ahead log beside it is refused like any damaged file, not taken as a new queue', async () => {
    const dir = newDir()
    const path = join(dir, 'queue.sqlite')
    writeFileSync(path, '')
    const error = await refused(dir, /is empty \(0 bytes, and no write-ahead log/)
    expect(error.message).toMatch(/Move the file aside to start with an empty queue/)
    expect(statSync(path).size).toBe(0)
    expect(existsSync(`${path}-wal`)).toBe(false)

    // Moved aside, the directory starts a new queue.
    renameSync(path, `${path}.empty`)
    const engine = await open(dir)
    const [queued] = await engine.submit([{ to: ['admin@example.net'], subject: 'First', text: 'first' }])
    expect(engine.queueView.has(queued!.queueId)).toBe(true)
    expect(readFileSync(path).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0')
  })

  it('a queue whose file was cut to 0 bytes after its messages were queued is refused, its write-ahead log gone', async () => {
    const dir = newDir()
    const engine = await open(dir)
    await engine.submit([{ to: ['admin@example.net'], subject: 'Kept', text: 'kept' }])
    await close(engine)
    const path = join(dir, 'queue.sqlite')
    expect(existsSync(`${path}-wal`)).toBe(false)
    truncateSync(path, 0)
    await refused(dir, /is empty/)
  })

  it('a missing data directory is created', async () => {
    const dir = join(newDir(), 'nested', 'data')
    const engine = await open(dir)
    expect(existsSync(join(dir, 'queue.sqlite'))).toBe(true)
    expect(unwrap(await engine.call('queue.summary', undefined)).total).toBe(0)
  })
})

describe('submitted messages', () => {
  it('survive a clean restart with their envelope, state and bytes', async () => {
    const dir = newDir()
    let engine = await open(dir)
    unwrap(await engine.call('settings.update', { settings: testSettings() }))
    const submitted = await engine.submit([
      { to: ['admin@example.net'], subject: 'Disk almost full', text: 'sda1 at 91%' },
      { to: ['ops@example.net', 'oncall@example.org'], subject: 'Backup failed', text: 'exit code 2' },
      { to: ['audit@example.com'], subject: 'Weekly report', text: 'all good' },
    ])
    const before = unwrap(await engine.call('queue.list', { limit: 50 }))
    const sources = await Promise.all(submitted.map(async (s) => unwrap(await engine.call('queue.source', { queueId: s.queueId })).source))
    await close(engine)

    engine = await open(dir)
    expect(engine.queueView.count()).toBe(3)
    const after = unwrap(await engine.call('queue.list', { limit: 50 }))
    expect(after).toEqual(before)
    expect(after.items.map((e) => e.queueId).sort()).toEqual(submitted.map((s) => s.queueId).sort())
    const backup = after.items.find((e) => e.subject === 'Backup failed')!
    expect(backup).toMatchObject({ state: 'queued', attempts: 0, sender: 'alerts@example.test', recipientCount: 2 })
    expect([...backup.recipients].sort()).toEqual(['oncall@example.org', 'ops@example.net'])
    for (const [i, s] of submitted.entries()) {
      const source = unwrap(await engine.call('queue.source', { queueId: s.queueId })).source
      expect(source).toBe(sources[i])
      expect(source).toContain(`Message-ID: ${s.messageId}`)
    }
    expect(engine.mailLog.count('received')).toBe(3)
  })

  it('a message over the size limit is refused with the limit named, and nothing is queued', async () => {
    const dir = newDir()
    const engine = await open(dir)
    unwrap(await engine.call('settings.update', { settings: testSettings({ maxMessageSizeBytes: 1024 }) }))
    const error = await engine.submit([{ to: ['admin@example.net'], subject: 'Big', text: 'x'.repeat(5 * 1024) }]).then(
      () => null,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(/over the limit of 1\.0 KiB/)
    expect((error as Error).message).toMatch(/Message size limit/)
    expect(engine.queueView.count()).toBe(0)
    expect(engine.mailLog.count()).toBe(0)

    // A small one under the same limit goes in: the limit is a limit, not a wall.
    await engine.submit([{ to: ['admin@example.net'], subject: 'Small', text: 'ok' }])
    expect(engine.queueView.count()).toBe(1)
  })

  it.each([
    ['subject', { to: ['admin@example.net'], subject: 'Alert\r\nBcc: victim@example.com', text: 'x' }],
    ['subject', { to: ['admin@example.net'], subject: 'Alert\nX-Injected: yes', text: 'x' }],
    ['subject', { to: ['admin@example.net'], subject: 'Alert\0', text: 'x' }],
    ['subject', { to: ['admin@example.net'], subject: 'Alert\x1b[2J', text: 'x' }],
    ['to', { to: ['admin@example.net\r\nBcc: victim@example.com'], subject: 'Alert', text: 'x' }],
    ['to', { to: ['admin@example.net', 'ops@example.net\nRCPT TO:<victim@example.com>'], subject: 'Alert', text: 'x' }],
    ['to', { to: [], subject: 'Alert', text: 'x' }],
  ])('a line break, a control character or a missing address in %s is refused, and nothing is queued', async (field, item) => {
    const dir = newDir()
    const engine = await open(dir)
    const error = await engine.submit([item]).then(
      () => null,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(InputError)
    expect(Object.keys((error as InputError).fields ?? {})).toEqual([field])
    // The admin's message shows no raw line break either.
    expect((error as Error).message).not.toMatch(/[\r\n]/)
    expect(engine.queueView.count()).toBe(0)
    expect(engine.mailLog.count()).toBe(0)
  })

  it('one bad message in a batch keeps the whole batch out', async () => {
    const dir = newDir()
    const engine = await open(dir)
    const error = await engine
      .submit([
        { to: ['admin@example.net'], subject: 'Fine', text: 'fine' },
        { to: ['admin@example.net'], subject: 'Bad\r\nBcc: victim@example.com', text: 'bad' },
      ])
      .then(
        () => null,
        (err: unknown) => err,
      )
    expect(error).toBeInstanceOf(InputError)
    expect(engine.queueView.count()).toBe(0)
  })

  it('mail.sendTest through the engine refuses a line break in the subject', async () => {
    const dir = newDir()
    const engine = await open(dir)
    const result = await engine.call('mail.sendTest', { to: 'admin@example.net', subject: 'Test\r\nBcc: victim@example.com' })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'invalid_request', fields: { subject: expect.stringMatching(/one line/) } })
    expect(engine.queueView.count()).toBe(0)
  })
})
