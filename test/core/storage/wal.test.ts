import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BULK_WAL_FRAMES } from '../../../src/main/core/storage/db.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// The write-ahead log is where every commit lands first. Checkpointed only
// near 40 MB it filled a small disk after a few hundred test emails; it now
// stays near 4 MB under load and is given back to the disk when idle.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MiB = 1024 * 1024

describe('the write-ahead log', () => {
  it('stays near 4 MB through 150 test emails and the burst that delivers them, and is truncated once the worker is idle', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port }, { startWorker: false })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    const wal = join(engine.dataDir, 'queue.sqlite-wal')
    const walSize = () => (existsSync(wal) ? statSync(wal).size : 0)

    // Queued one by one, as an admin or a script sends them: each is a durable commit of its own.
    const sizes: number[] = []
    for (let i = 0; i < 150; i++) {
      unwrap(await engine.call('mail.sendTest', { to: `admin${i}@example.net` }))
      sizes.push(walSize())
    }
    // ~40 KB a message here: 150 of them would be ~6 MB of log without a checkpoint.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5 * MiB)

    // Then delivered in one burst, sampled as it goes (a sample can only miss a peak, never invent one).
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, walSize())), 2)
    cleanups.push(() => clearInterval(sampler))
    engine.worker.start()
    await waitFor(() => engine.queueView.count() === 0, 'the burst to be delivered', 60_000)
    clearInterval(sampler)
    expect(smtp.received).toHaveLength(150)
    expect(peak).toBeLessThanOrEqual(5 * MiB)

    // Idle: the log is checkpointed and truncated, its space back on the disk.
    await waitFor(() => walSize() === 0, 'the write-ahead log to be truncated once the worker is idle')

    // And again after a single test email.
    unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    expect(walSize()).toBeGreaterThan(0)
    await waitFor(() => smtp.received.length === 151, 'one more test email')
    await waitFor(() => walSize() === 0, 'the log to be truncated after it')
    expect(engine.mailLog.count('sent')).toBe(151)
  })

  it('is copied by the checkpointer while Delete Queue runs, the action waiting for it past a bound, and as usual again after it', async () => {
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: 9 }, { startWorker: false })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    const autocheckpoint = () => (engine.db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint
    const wal = join(engine.dataDir, 'queue.sqlite-wal')
    const walSize = () => (existsSync(wal) ? statSync(wal).size : 0)
    engine.queue.submit(
      Array.from({ length: 20_000 }, (_, i) => ({ sender: 'alerts@example.test', subject: `m${i}`, messageId: `<m${i}@example.test>`, raw: Buffer.alloc(2048, 120), recipients: [`u${i}@example.net`] })),
    )
    expect(autocheckpoint()).toBe(1000)
    engine.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    const during: number[] = []
    let peak = 0
    const off = engine.on('queue.progress', (p) => {
      if (!p.finished) during.push(autocheckpoint())
      peak = Math.max(peak, walSize())
    })
    cleanups.push(off)
    engine.bulk.chunk = 2000
    expect(await engine.bulk.run('deleteAll')).toBe(20_000)
    expect(during.length).toBeGreaterThan(5)
    // The main connection's own checkpoint steps out of the way; the worker copies, and the action waits for it past BULK_WAL_FRAMES.
    expect(new Set(during)).toEqual(new Set([65_536]))
    // BULK_WAL_FRAMES pages of 4 KiB, and the chunk whose commit crosses that line.
    expect(peak).toBeLessThanOrEqual((BULK_WAL_FRAMES * 4 + 16 * 1024) * 1024)
    expect(engine.checkpointer.walFrames()!.backfilled).toBeGreaterThan(0)
    expect(autocheckpoint()).toBe(1000)
    // A refused run puts it back too.
    engine.bulk.chunk = 1
    engine.queue.submit([{ sender: 'alerts@example.test', subject: 'x', messageId: '<x@example.test>', raw: Buffer.from('x'), recipients: ['a@example.net'] }])
    const first = engine.bulk.run('flush')
    await expect(engine.bulk.run('deleteAll')).rejects.toThrow(/still running/)
    await first
    expect(autocheckpoint()).toBe(1000)
  })
})
