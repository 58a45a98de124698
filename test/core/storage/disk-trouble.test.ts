import { execFileSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError, storageErrorOf } from '../../../src/main/core/storage/db.ts'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, tempDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// A full disk and a read-only data directory, made for real: a small tmpfs
// filled to the last page, and a read-only bind mount (root passes permission
// checks, not a read-only mount). Without root, the read-only cases use a
// directory chmod 0500, and the tmpfs case cannot run.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false
  const probe = tempDir('smtp-console-mount-probe-')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' })
    execFileSync('umount', [probe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    removeDir(probe)
  }
}
const MOUNT = canMount()

function mountTmpfs(sizeBytes: number): string {
  const dir = tempDir('smtp-console-tmpfs-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir])
  cleanups.push(() => {
    execFileSync('umount', ['-l', dir])
    removeDir(dir)
  })
  return dir
}

/** Writes into `file` until the file system says ENOSPC, down to its last page. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w')
  try {
    for (const chunk of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
      const bytes = Buffer.alloc(chunk, 0x5a)
      for (;;) {
        try {
          writeSync(fd, bytes)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
          break
        }
      }
    }
  } finally {
    closeSync(fd)
  }
}

/** `dir` as seen through a read-only mount (root) or `dir` itself made 0500 (any other user). */
function readOnly(dir: string): string {
  if (!MOUNT) {
    execFileSync('chmod', ['0500', dir])
    cleanups.push(() => void execFileSync('chmod', ['0700', dir]))
    return dir
  }
  const view = tempDir('smtp-console-ro-')
  execFileSync('mount', ['--bind', dir, view])
  execFileSync('mount', ['-o', 'remount,bind,ro', view])
  cleanups.push(() => {
    execFileSync('umount', [view])
    removeDir(view)
  })
  return view
}

describe('a full disk', () => {
  it.skipIf(!MOUNT)(`deliveries that cannot be recorded stay in the queue, are recorded when space returns, and are not sent twice${MOUNT ? '' : ' (skipped: needs root allowed to mount a tmpfs, to fill a real disk)'}`, async () => {
    const disk = mountTmpfs(8 * 1024 * 1024)
    const dataDir = join(disk, 'data')
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const smtp = await startSmtp({ tls: 'none', holdData: held })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 5 }, { dataDir })
    cleanups.push(() => engine.close())

    await engine.submit(Array.from({ length: 5 }, (_, i) => ({ to: [`ops${i}@example.net`], subject: `Full disk ${i}`, text: 'x'.repeat(2000) })))
    // All five are claimed and at the relay, which holds its 250 until the disk is full.
    await waitFor(() => engine.queueView.counts().active === 5, 'five messages in flight')
    // As the worker leaves it when idle: the write-ahead log truncated, so the next write needs new pages.
    engine.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    const filler = join(disk, 'filler')
    fillDisk(filler)
    release()

    // The five may finish in more than one turn: the count grows until all are held.
    await waitFor(
      async () => /5 finished delivery attempt\(s\) could not be recorded/.test(unwrap(await engine.call('status.get', undefined)).storageProblem ?? ''),
      'the dashboard to say the five outcomes wait',
    )
    expect(smtp.received).toHaveLength(5)
    const status = unwrap(await engine.call('status.get', undefined))
    expect(status.storageProblem).toContain(`The disk holding the data directory ${dataDir} is full`)
    expect(engine.queueView.counts()).toMatchObject({ active: 5, total: 5 })
    expect(engine.mailLog.count('sent')).toBe(0)

    // A new message is refused with the storage code and a sentence an admin can act on.
    const refused = await engine.call('mail.sendTest', { to: 'admin@example.net' })
    if (refused.ok) throw new Error('a message was queued on a full disk')
    expect(refused.error.code).toBe('storage')
    expect(refused.error.message).toMatch(new RegExp(`^The disk holding the data directory ${dataDir} is full \\(database or disk is full\\)\\. Nothing was changed\\.`))
    expect(engine.queueView.count()).toBe(5)

    unlinkSync(filler)
    await waitFor(() => engine.queueView.count() === 0, 'the held outcomes to be recorded once there is room', 20_000)
    expect(engine.mailLog.count('sent')).toBe(5)
    expect(smtp.received).toHaveLength(5)
    expect(unwrap(await engine.call('status.get', undefined)).storageProblem).toBeNull()
    const infos = unwrap(await engine.call('events.list', { limit: 20, level: 'info' })).items
    expect(infos.some((e) => /takes writes again/.test(e.message))).toBe(true)

    // And delivery goes on.
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await waitFor(() => smtp.received.length === 6, 'a test email after space returned')
  })

  it.skipIf(!MOUNT)(`an engine stopped before space returns leaves the messages to the next start, none lost${MOUNT ? '' : ' (skipped: needs root allowed to mount a tmpfs, to fill a real disk)'}`, async () => {
    const disk = mountTmpfs(8 * 1024 * 1024)
    const dataDir = join(disk, 'data')
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const smtp = await startSmtp({ tls: 'none', holdData: held })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 3 }, { dataDir })
    await engine.submit(Array.from({ length: 3 }, (_, i) => ({ to: [`ops${i}@example.net`], subject: `Stopped ${i}`, text: 'x' })))
    await waitFor(() => engine.queueView.counts().active === 3, 'three messages in flight')
    engine.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    const filler = join(disk, 'filler')
    fillDisk(filler)
    release()
    await waitFor(async () => unwrap(await engine.call('status.get', undefined)).storageProblem, 'the outcomes to be held')
    await engine.close()
    unlinkSync(filler)

    const again = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => again.close())
    await waitFor(() => again.queueView.count() === 0, 'the next start to deliver them')
    // At least once: the relay had them already, the console could not write that down.
    expect(new Set(smtp.received.map((r) => /^Subject: (.*)$/m.exec(r.raw)?.[1]))).toEqual(new Set(['Stopped 0', 'Stopped 1', 'Stopped 2']))
  })
})

describe('a write the database refuses (injected, so it runs without root)', () => {
  /** Makes the queue's recording of outcomes throw `failure` while `failing()` says so, as a full disk would. */
  function refuseRecording(engine: Awaited<ReturnType<typeof engineWith>>, failing: (ids: string[]) => Error | null): void {
    const real = engine.queue.recordAttempts.bind(engine.queue)
    engine.queue.recordAttempts = (batch, policy) => {
      const err = failing(batch.map((b) => b.msg.queueId))
      if (err) throw err
      return real(batch, policy)
    }
  }
  const sqliteFull = () => Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 })

  it('disk full: outcomes are held, then recorded once writes pass again; nothing is sent twice', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 3 })
    cleanups.push(() => engine.close())
    let full = true
    refuseRecording(engine, () => (full ? sqliteFull() : null))
    await engine.submit(Array.from({ length: 3 }, (_, i) => ({ to: [`ops${i}@example.net`], subject: `Held ${i}`, text: 'x' })))
    await waitFor(
      async () => /3 finished delivery attempt\(s\) could not be recorded/.test(unwrap(await engine.call('status.get', undefined)).storageProblem ?? ''),
      'the three outcomes to be held',
    )
    expect(engine.queueView.counts()).toMatchObject({ active: 3 })
    full = false
    await waitFor(() => engine.queueView.count() === 0, 'the held outcomes to be recorded', 20_000)
    expect(engine.mailLog.count('sent')).toBe(3)
    expect(smtp.received).toHaveLength(3)
    expect(unwrap(await engine.call('status.get', undefined)).storageProblem).toBeNull()
  })

  it('a write refused for what it holds (a bug, not the disk) costs that message only: delivery goes on', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 3 })
    cleanups.push(() => engine.close())
    const [bad] = await engine.submit([{ to: ['broken@example.net'], subject: 'Unrecordable', text: 'x' }])
    refuseRecording(engine, (ids) => (ids.includes(bad!.queueId) ? new TypeError('Cannot read properties of undefined') : null))
    await engine.submit(Array.from({ length: 4 }, (_, i) => ({ to: [`ops${i}@example.net`], subject: `Fine ${i}`, text: 'x' })))
    await waitFor(() => engine.mailLog.count('sent') === 4, 'the four others to be recorded as sent')
    expect(engine.queueView.count()).toBe(1)
    expect(unwrap(await engine.call('status.get', undefined)).storageProblem).toBeNull()
    const errors = unwrap(await engine.call('events.list', { limit: 20, level: 'error' })).items
    expect(errors.some((e) => e.message.includes(`${bad!.queueId}'s delivery attempt could not be recorded`))).toBe(true)
    // And the next message still goes.
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    await waitFor(() => engine.mailLog.count('sent') === 5, 'a test email after the fault')
  })
})

describe('a read-only data directory', () => {
  it('with a queue in it: refused as read-only, not "unable to open database file", nothing changed', async () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const setup = await openEngine({ dataDir: dir, startWorker: false })
    await setup.submit([{ to: ['admin@example.net'], subject: 'Kept', text: 'kept' }])
    await setup.close()
    const before = readFileSync(join(dir, 'queue.sqlite'))

    const view = readOnly(dir)
    const error = await openEngine({ dataDir: view, startWorker: false }).then(
      async (engine) => {
        await engine.close()
        throw new Error('the engine opened a read-only directory')
      },
      (err: unknown) => err as Error,
    )
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toMatch(new RegExp(`^The data directory ${view} is read-only \\(E(ROFS|ACCES)`))
    expect(error.message).toMatch(/Nothing was changed/)
    expect(error.message).not.toMatch(/unable to open database file|ENOENT/)
    expect(readFileSync(join(dir, 'queue.sqlite')).equals(before)).toBe(true)
  })

  it('to be created inside a read-only directory: refused as read-only', async () => {
    const parent = tempDir()
    cleanups.push(() => removeDir(parent))
    const view = readOnly(parent)
    const dataDir = join(view, 'smtp-console')
    await expect(openEngine({ dataDir, startWorker: false })).rejects.toThrow(new RegExp(`^The data directory ${dataDir} is read-only \\(E(ROFS|ACCES)`))
  })

  it('a write SQLite refuses as read-only is named so', () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const path = join(dir, 'q.sqlite')
    new DatabaseSync(path).close()
    const db = new DatabaseSync(path, { readOnly: true })
    let caught: unknown
    try {
      db.exec('CREATE TABLE t (x)')
    } catch (err) {
      caught = err
    } finally {
      db.close()
    }
    expect(storageErrorOf(caught, dir)?.message).toMatch(new RegExp(`^The data directory ${dir} is read-only \\(attempt to write a readonly database\\)`))
  })

})
