import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpointer } from '../../src/main/core/storage/checkpointer.ts'
import { openDatabase, transaction } from '../../src/main/core/storage/db.ts'

// Commits enough to keep the checkpointer's worker busy, then stops it at once
// with its answers still on their way, and nothing else to keep the process
// alive: the stop must hold the process until the worker has exited.

const dir = mkdtempSync(join(tmpdir(), 'smtp-console-ckpt-child-'))
const path = join(dir, 'queue.sqlite')
const db = openDatabase(path)
db.exec('CREATE TABLE blobs (b BLOB NOT NULL)')
const checkpointer = new Checkpointer(db, path)
for (let i = 0; i < 200; i++) transaction(db, () => db.prepare('INSERT INTO blobs (b) VALUES (?)').run(Buffer.alloc(60_000)))
await checkpointer.stop()
db.close()
rmSync(dir, { recursive: true, force: true })
process.stdout.write('stopped\n')
