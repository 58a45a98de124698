import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { engineWith, removeDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { connect } from 'node:net'

// A 250 from local submission promises that the message is on the disk, not
// only in the kernel's cache: the engine runs under strace, and for every 250
// the write-ahead log must have been synced (fdatasync or fsync of the -wal
// file) after the first write of that message's queue id to the log and
// before the 250 was written to the client.

const SMTP_SOURCE = '/usr/sbin/smtp-source'
const STRACE = '/usr/bin/strace'
const usable = existsSync(SMTP_SOURCE) && existsSync(STRACE) && spawnSync(STRACE, ['-o', '/dev/null', 'true']).status === 0
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })

interface Trace {
  /** Writes to the log, with their index: the first that holds a queue id wrote that message. */
  logWrites: { at: number; text: string }[]
  /** Index of each 250 written to a client, by queue id. */
  reply: Map<string, number>
  /** Syncs of the log: the index where each started and where it returned 0. */
  syncs: { start: number; end: number }[]
}

/** Reads strace -f -y output in order: each line is one event (its thread id first, padded), a syscall split across threads is matched by thread id. */
function readTrace(text: string): Trace {
  const t: Trace = { logWrites: [], reply: new Map(), syncs: [] }
  const open = new Map<string, number>()
  text.split('\n').forEach((line, i) => {
    const tid = /^(\d+)\s/.exec(line)?.[1] ?? ''
    const sync = /(fdatasync|fsync)\(\d+<[^>]*queue\.sqlite-wal>(?:\)\s+= (-?\d+)| <unfinished)/.exec(line)
    if (sync) {
      if (sync[2] === '0') t.syncs.push({ start: i, end: i })
      else if (sync[2] === undefined) open.set(tid, i)
      return
    }
    const resumed = /<\.\.\. (fdatasync|fsync) resumed>.*= 0/.exec(line)
    if (resumed && open.has(tid)) {
      t.syncs.push({ start: open.get(tid)!, end: i })
      open.delete(tid)
      return
    }
    if (/^\d+\s+(pwrite64|write)\(\d+<[^>]*queue\.sqlite-wal>/.test(line)) {
      t.logWrites.push({ at: i, text: line })
      return
    }
    const ok = /(write|writev)\(\d+<(?:TCP|socket)[^>]*>.*250 2\.0\.0 Ok: queued as ([0-9A-F]{12})/.exec(line)
    if (ok) t.reply.set(ok[2]!, i)
  })
  return t
}

describe.skipIf(!usable)(`local submission's 250 and the disk${usable ? '' : ` (skipped: needs ${STRACE} allowed to trace, and ${SMTP_SOURCE})`}`, () => {
  it('writes each 250 only after an fsync of the write-ahead log that began after the message was written to it', async () => {
    const port = await freePort()
    const setup = await engineWith({})
    const dataDir = setup.dataDir
    cleanups.push(() => removeDir(dataDir))
    // The relay is never reached: the child runs with delivery paused.
    unwrap(await setup.call('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: 9, listenEnabled: true, listenPort: port }) }))
    await setup.close()

    const traceFile = join(dataDir, 'strace.txt')
    const child = spawn(
      STRACE,
      ['-f', '-y', '-s', '16384', '-e', 'trace=pwrite64,write,writev,fsync,fdatasync', '-o', traceFile, process.execPath, join(import.meta.dirname, '..', '..', 'helpers', 'listener-child.ts'), dataDir],
      { stdio: 'ignore' },
    )
    // strace leaves its tracee running when it is killed itself: the engine is stopped by its own pid, the trace's first.
    const tracee = () => Number(/^(\d+)\s/.exec(existsSync(traceFile) ? readFileSync(traceFile, 'latin1') : '')?.[1] ?? 0)
    cleanups.push(() => {
      try {
        if (tracee()) process.kill(tracee(), 'SIGKILL')
      } catch {
        // Gone already.
      }
      child.kill('SIGKILL')
    })
    await waitFor(() => canConnect(port), 'the traced engine to listen', 30_000)

    // 4 sessions at once, 40 messages: commits overlap the fsyncs, as under load.
    const source = spawn(SMTP_SOURCE, ['-v', '-s', '4', '-m', '40', '-l', '1024', '-f', 'cron@example.test', '-t', 'ops@example.net', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    const accepted: string[] = []
    source.stderr.setEncoding('utf8')
    source.stderr.on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/<<< 250 2\.0\.0 Ok: queued as ([0-9A-F]{12})/g)) accepted.push(m[1]!)
    })
    await new Promise((resolve) => source.once('exit', resolve))
    expect(accepted.length).toBe(40)
    process.kill(tracee(), 'SIGKILL')
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))

    const trace = readTrace(readFileSync(traceFile, 'latin1'))
    const unsynced = accepted.filter((id) => {
      const written = trace.logWrites.find((w) => w.text.includes(id))?.at
      const replied = trace.reply.get(id)
      if (written === undefined || replied === undefined) return true
      return !trace.syncs.some((s) => s.start > written && s.end < replied)
    })
    expect(trace.reply.size).toBe(40)
    expect(unsynced).toEqual([])
  }, 120_000)
})
