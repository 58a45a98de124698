import { closeSync, openSync, readSync } from 'node:fs'
import { endianness } from 'node:os'
import type { DatabaseSync } from 'node:sqlite'
import { Worker } from 'node:worker_threads'

// Copies the write-ahead log into the database file on a thread of its own.
// SQLite's automatic checkpoint runs inside the COMMIT that crosses its
// threshold, on the thread that committed: the main process's event loop.
// Delete Queue of a million messages spent a third of its time there (3.5 s of
// 9.2), and a burst of accepted mail paid for it between two 250s. A second
// connection to the same file checkpoints without blocking the first (WAL
// readers and writers do not wait for a PASSIVE checkpoint), so it runs here,
// in a worker; the main connection's own checkpoint stays as the bound on the
// log and finds most of it copied already.

/** Frames (pages) in the log before the worker copies them: ~1 MB. */
export const CHECKPOINT_FRAMES = 250
/**
 * The main connection's own automatic checkpoint stays where it was (~4 MB, SQLite's
 * default) as the bound on the log: under a steady stream of commits the worker never
 * finds the log idle enough to start it over, so the main connection does, copying
 * only what the worker has not copied yet.
 */
export const BACKSTOP_FRAMES = 1000
/** What the wal-index (the -shm file) says of the log: frames written, and frames already copied into the database. */
export interface WalFrames {
  frames: number
  backfilled: number
}

// The wal-index header (https://www.sqlite.org/walformat.html#the_wal_index_file_format): mxFrame at byte 16
// of the header, which is stored twice (48 bytes each), then nBackfill at byte 96, in the machine's byte order.
const MX_FRAME_AT = 16
const N_BACKFILL_AT = 96

// The worker is a few lines of CommonJS evaluated from this string: no file of its own to bundle into the
// desktop app or to find at run time. It checkpoints when asked and answers with PRAGMA wal_checkpoint's row.
const WORKER_SOURCE = `
const { DatabaseSync } = require('node:sqlite')
const { parentPort, workerData } = require('node:worker_threads')
const db = new DatabaseSync(workerData.path)
// Never wait for a lock: a checkpoint that meets one is simply asked for again later.
db.exec('PRAGMA busy_timeout = 0')
const step = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close()
    parentPort.close()
    return
  }
  try {
    const r = step.get()
    parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
})
`

interface StepResult {
  busy?: number
  log?: number
  checkpointed?: number
  error?: string
}

export interface CheckpointerOptions {
  /** Frames in the log before a checkpoint is asked for. */
  frames?: number
  /** Told once when the worker cannot run; the main connection checkpoints by itself again. */
  onStopped?: (reason: string) => void
}

const attached = new WeakMap<DatabaseSync, Checkpointer>()

/** The checkpointer working for `db`, if one is. */
export function checkpointerOf(db: DatabaseSync): Checkpointer | undefined {
  return attached.get(db)
}

export class Checkpointer {
  private readonly path: string
  private readonly db: DatabaseSync
  private readonly frames: number
  private readonly onStopped: (reason: string) => void
  private worker: Worker | null = null
  private shm: number | null = null
  private readonly header = Buffer.alloc(N_BACKFILL_AT + 4)
  /** A checkpoint asked for and not answered yet. */
  private inFlight = false
  private again = false
  private waiters: (() => void)[] = []
  private stopped = false
  private exited: Promise<void> | null = null

  /** `path` is the database file `db` has open. */
  constructor(db: DatabaseSync, path: string, options: CheckpointerOptions = {}) {
    this.db = db
    this.path = path
    this.frames = options.frames ?? CHECKPOINT_FRAMES
    this.onStopped = options.onStopped ?? (() => {})
    db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_FRAMES}`)
    attached.set(db, this)
  }

  /** Whether checkpoints run on the worker (false once it could not start or has stopped). */
  get running(): boolean {
    return !this.stopped
  }

  /** The log's frames and how many are already in the database, read from the wal-index; null before the log exists. */
  walFrames(): WalFrames | null {
    try {
      this.shm ??= openSync(`${this.path}-shm`, 'r')
      if (readSync(this.shm, this.header, 0, this.header.length, 0) < this.header.length) return null
    } catch {
      return null
    }
    const le = endianness() === 'LE'
    const read = (at: number) => (le ? this.header.readUInt32LE(at) : this.header.readUInt32BE(at))
    return { frames: read(MX_FRAME_AT), backfilled: read(N_BACKFILL_AT) }
  }

  /** After a commit: asks the worker to checkpoint once enough frames wait to be copied. Cheap: one read of 100 bytes. */
  nudge(): void {
    if (this.stopped) return
    const wal = this.walFrames()
    if (wal && wal.frames - wal.backfilled >= this.frames) this.request()
  }

  /**
   * Resolves once every frame written so far is in the database file (the next write
   * then starts the log from its beginning again), or at once when the worker is not
   * running. Bulk actions wait for it so their log does not grow without end.
   */
  caughtUp(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    const wal = this.walFrames()
    if (!wal || wal.backfilled >= wal.frames) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiters.push(resolve)
      this.request()
    })
  }

  /** Stops the worker (the engine is closing); the main connection checkpoints everything by itself again. */
  async stop(): Promise<void> {
    if (!this.stopped) this.halt(null)
    await this.exited
    if (this.shm !== null) {
      closeSync(this.shm)
      this.shm = null
    }
  }

  private request(): void {
    if (this.inFlight) {
      this.again = true
      return
    }
    const worker = this.startWorker()
    if (!worker) return
    this.inFlight = true
    // Held while a step runs, so that whoever waits for it keeps the process alive.
    worker.ref()
    worker.postMessage('step')
  }

  /** Starts the worker now rather than at the first commit that needs it (it then stays for the engine's life). */
  start(): void {
    this.startWorker()
  }

  private startWorker(): Worker | null {
    if (this.stopped) return null
    if (this.worker) return this.worker
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path } })
      // An idle worker never keeps the process alive: closing the engine stops it, and a process that exits takes it along.
      worker.unref()
      worker.on('message', (r: StepResult) => this.answered(r))
      worker.on('error', (err) => this.halt(`the checkpoint worker failed: ${err.message}`))
      this.exited = new Promise((resolve) =>
        worker.once('exit', (code) => {
          this.halt(`the checkpoint worker exited (code ${code})`)
          resolve()
        }),
      )
      this.worker = worker
      return worker
    } catch (err) {
      this.halt(`the checkpoint worker could not start: ${(err as Error).message}`)
      return null
    }
  }

  private answered(r: StepResult): void {
    this.inFlight = false
    // Once stopping, the worker stays held until it has exited: an answer still on its way must not let go of it.
    if (this.stopped) return
    this.worker?.unref()
    const wal = this.walFrames()
    const done = r.error === undefined && wal !== null && wal.backfilled >= wal.frames
    if (done || r.error !== undefined) {
      // A failed step (a full disk, a lock) leaves the frames in the log, whole: the backstop or a later step copies them.
      for (const resolve of this.waiters.splice(0)) resolve()
    }
    // More was written while it ran, or someone waits for the rest: one more step.
    if (this.again || (!done && this.waiters.length > 0)) {
      this.again = false
      this.request()
    }
  }

  private halt(reason: string | null): void {
    if (this.stopped) return
    this.stopped = true
    attached.delete(this.db)
    for (const resolve of this.waiters.splice(0)) resolve()
    try {
      if (this.db.isOpen) this.db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_FRAMES}`)
    } catch {
      // The database is closing: nothing left to checkpoint from here.
    }
    if (this.worker) {
      // Closed by its own hand after the step in hand, never terminated mid-checkpoint; held until it has exited.
      this.worker.ref()
      this.worker.postMessage('close')
    } else {
      this.exited = Promise.resolve()
    }
    if (reason) this.onStopped(reason)
  }
}
