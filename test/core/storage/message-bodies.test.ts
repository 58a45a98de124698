import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import { APPLICATION_ID, openDatabase } from '../../../src/main/core/storage/db.ts'
import { applyMigration, MIGRATIONS } from '../../../src/main/core/storage/migrations/index.ts'
import { sql as messageBodies } from '../../../src/main/core/storage/migrations/006-message-bodies.ts'
import { engineWith, removeDir, tempDir, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// The raw message moved from messages.raw to message_bodies (migration 6): mail queued by a
// version before the move is delivered after it byte for byte, and a body leaves with its message.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

// Lines a careless copy would change: a leading dot (dot-stuffed on the wire), trailing blanks, a long line.
const rawOf = (i: number) =>
  Buffer.from(
    `From: Ops Console <alerts@example.test>\r\nTo: user${i}@example.net\r\nSubject: Before the move ${i}\r\nMessage-ID: <m${i}@console.example.test>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n.leading dot ${i}\r\ntrailing blanks   \r\n${'x'.repeat(900 + i)}\r\n`,
    'latin1',
  )

/** A database as the version before migration 6 left it, holding `n` queued messages with their raw bytes in messages.raw. */
function databaseBeforeTheMove(path: string, n: number): void {
  const before = MIGRATIONS.indexOf(messageBodies)
  expect(before).toBeGreaterThan(0)
  const db = new DatabaseSync(path)
  try {
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
    for (const migration of MIGRATIONS.slice(0, before)) applyMigration(db, migration)
    db.exec(`PRAGMA user_version = ${before}`)
    const insert = db.prepare(
      `INSERT INTO messages (queue_id, message_id, sender, subject, size, arrival_at, state, attempts, next_attempt_at, is_test, raw)
       VALUES (?, ?, 'alerts@example.test', ?, ?, 0, 'queued', 0, 0, 0, ?)`,
    )
    const recipient = db.prepare("INSERT INTO recipients (message_id, address, domain, status, updated_at) VALUES (?, ?, 'example.net', 'pending', 0)")
    for (let i = 0; i < n; i++) {
      const raw = rawOf(i)
      const { lastInsertRowid } = insert.run(`00000000000${i}`, `<m${i}@console.example.test>`, `Before the move ${i}`, raw.length, raw)
      recipient.run(lastInsertRowid, `user${i}@example.net`)
    }
  } finally {
    db.close()
  }
}

describe('message bodies in their own table', () => {
  it('delivers mail queued before the move with its exact bytes', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    // Settings first (they live in settings.json), then the queue file swapped for one made before the move.
    const setup = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port }, { startWorker: false })
    const dataDir = setup.dataDir
    cleanups.push(() => removeDir(dataDir))
    await setup.close()
    const path = join(dataDir, 'queue.sqlite')
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true })
    databaseBeforeTheMove(path, 3)

    const engine = await openEngine({ dataDir, startWorker: false })
    cleanups.push(() => engine.close())
    const columns = (engine.db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name)
    expect(columns).not.toContain('raw')
    expect(engine.queueView.source('000000000001').source).toBe(rawOf(1).toString('latin1'))
    await engine.close()

    const worker = await openEngine({ dataDir })
    cleanups.push(() => worker.close())
    await waitFor(() => smtp.received.length >= 3 && worker.queueView.count() === 0, 'the three messages queued before the move to be delivered')
    const got = new Map(smtp.received.map((r) => [r.to[0], Buffer.from(r.raw, 'latin1')]))
    for (let i = 0; i < 3; i++) expect(got.get(`user${i}@example.net`)?.equals(rawOf(i))).toBe(true)
    expect((worker.db.prepare('SELECT count(*) AS n FROM message_bodies').get() as { n: number }).n).toBe(0)
  })

  it('moves every body over in the migration, each the size of its message', () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const path = join(dir, 'queue.sqlite')
    databaseBeforeTheMove(path, 4)
    const db = openDatabase(path)
    cleanups.push(() => db.close())
    const rows = db.prepare('SELECT m.size AS size, length(b.raw) AS n FROM messages m JOIN message_bodies b ON b.message_id = m.id').all() as { size: number; n: number }[]
    expect(rows).toHaveLength(4)
    expect(rows.every((r) => r.size === r.n)).toBe(true)
  })

  it('keeps no body once its message is deleted, one by one, by a filter or all at once', async () => {
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: 9 }, { startWorker: false })
    const dataDir = engine.dataDir
    cleanups.push(() => removeDir(dataDir))
    cleanups.push(() => engine.close())
    const bodies = () => (engine.db.prepare('SELECT count(*) AS n FROM message_bodies').get() as { n: number }).n
    const sent = await engine.submit(Array.from({ length: 6 }, (_, i) => ({ to: [`user${i}@${i < 2 ? 'a' : 'b'}.example.net`], subject: `Doomed ${i}`, text: `body ${i}` })))
    expect(bodies()).toBe(6)
    engine.queue.deleteOne(sent[5]!.queueId)
    expect(bodies()).toBe(5)
    expect(await engine.bulk.run('delete', { domain: 'a.example.net' })).toBe(2)
    expect(bodies()).toBe(3)
    expect(await engine.bulk.run('deleteAll')).toBe(3)
    expect(bodies()).toBe(0)
  })
})
