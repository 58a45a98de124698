import { fork } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { QueueFilter, QueueFilterAction } from '../../../src/shared/types.ts'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import { expectCountsMatchRows } from '../../helpers/queue-counts.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { smtpError, startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// The queue's counts (by state, total, by recipient domain) are kept by
// triggers in the transactions that change the rows, so no request counts a
// million rows. They must equal COUNT(*) after anything: a seeded random run
// of submits, deliveries (accepted, deferred, bounced by a real server),
// holds, releases, deletes, flushes, actions on a filter and SIGKILLs of a
// child running the engine, Delete Queue included.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A small seeded generator (mulberry32), so a failure can be run again as it was. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DOMAINS = ['example.net', 'example.org', 'mail.example.com', 'other.test']

function scriptedServer(): Promise<TestSmtp> {
  return startSmtp({
    tls: 'none',
    onRcpt: (address) => (address.startsWith('defer') ? smtpError(451, '4.7.1 Try again later') : address.startsWith('bounce') ? smtpError(550, '5.1.1 No such user') : null),
  })
}

async function killChildDuring(dataDir: string, args: string[], until: (msg: Record<string, unknown>) => boolean, delayMs = 0): Promise<void> {
  const child = fork(join(import.meta.dirname, '..', '..', 'helpers', 'engine-child.ts'), [dataDir, ...args], { stdio: 'ignore' })
  cleanups.push(() => void child.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child engine never reached the point to be killed at')), 20_000)
    child.on('message', (m: Record<string, unknown>) => {
      if (!until(m)) return
      clearTimeout(timer)
      setTimeout(() => {
        child.kill('SIGKILL')
        resolve()
      }, delayMs)
    })
  })
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))
}

describe('queue counts kept by triggers', () => {
  it('equal COUNT(*) after every step of a seeded random run, SIGKILLs included', async () => {
    const smtp = await scriptedServer()
    cleanups.push(() => smtp.close())
    const rand = random(0x5eed)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
    let engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port, concurrency: 3 })
    const dataDir = engine.dataDir
    cleanups.push(() => removeDir(dataDir))
    cleanups.push(() => engine.close())
    engine.bulk.chunk = 7
    let n = 0
    const kinds = ['submit', 'submit', 'submit', 'deliver', 'hold', 'release', 'delete', 'flush', 'filter', 'deleteAll', 'crash', 'crashDelete'] as const
    const done: string[] = []
    for (let step = 0; step < 40; step++) {
      const kind = pick(kinds)
      const ids = () => engine.queueView.list({ limit: 500 }).items
      if (kind === 'submit') {
        const count = 1 + Math.floor(rand() * 12)
        await engine.submit(
          Array.from({ length: count }, () => {
            // Several recipients, some at one domain, some to be deferred or bounced.
            const to = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `${pick(['user', 'defer', 'bounce', 'user', 'user'])}${n++}@${pick(DOMAINS)}`)
            return { to, subject: `step ${step}`, text: 'x' }
          }),
        )
        // Deliveries run behind the test's back: the counts are read between their transactions.
      } else if (kind === 'deliver') {
        await waitFor(() => engine.queueView.count('queued') === 0 && engine.queueView.count('active') === 0, 'deliveries to settle', 20_000)
      } else if (kind === 'hold' || kind === 'release' || kind === 'delete') {
        const entry = ids().find((e) => (kind === 'release' ? e.state === 'hold' : kind === 'hold' ? e.state === 'deferred' || e.state === 'queued' : true))
        if (entry) {
          const r = await engine.call(kind === 'delete' ? 'queue.delete' : kind === 'hold' ? 'queue.hold' : 'queue.release', { queueId: entry.queueId })
          // The message may have changed state under us (delivered, claimed): a clear refusal, never a half change.
          if (!r.ok) expect(['not_found', 'conflict']).toContain(r.error.code)
        }
      } else if (kind === 'flush') {
        unwrap(await engine.call('queue.flush', undefined))
      } else if (kind === 'filter') {
        const filter: QueueFilter = pick<QueueFilter>([{ domain: pick(DOMAINS) }, { state: 'deferred' }, { text: 'defer' }, { sender: 'alerts' }, { olderThanMinutes: 1 }])
        const action = pick<QueueFilterAction>(['delete', 'hold', 'release', 'retry'])
        unwrap(await engine.call('queue.actOnMatching', { filter, action }))
      } else if (kind === 'deleteAll') {
        unwrap(await engine.call('queue.deleteAll', undefined))
      } else {
        await engine.close()
        if (kind === 'crash') {
          // Killed while its worker delivers what is due (a few ms to a few hundred after it started).
          const delayMs = Math.floor(rand() * 300)
          await killChildDuring(dataDir, [], (m) => m.ready === true, delayMs)
        } else {
          // Killed between two chunks of a Delete Queue (or at its end when the queue was small).
          await killChildDuring(dataDir, ['delete-all', '3'], (m) => {
            const p = m.progress as { done: number; finished: boolean } | undefined
            return (p !== undefined && p.done > 0 && !p.finished) || m.deleted !== undefined || (m.ready === true && m.queued === 0)
          })
        }
        engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
        engine.bulk.chunk = 7
      }
      done.push(kind)
      expectCountsMatchRows(engine.db, engine, `after step ${step} (${done.join(', ')})`)
    }
    // The run did what it is meant to: deliveries of each kind, and both kinds of crash.
    expect(new Set(done)).toEqual(new Set(kinds))
    expect(smtp.received.length).toBeGreaterThan(0)
    // About 8 s alone; it starts and SIGKILLs engines in child processes, which a loaded machine slows most.
  }, 120_000)
})
