import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import type { Page, QueueEntry } from '../src/shared/types.ts'
import { LocalRunner } from '../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../src/main/postfix/tools.ts'
import { queueDirectoryCounts } from '../src/main/postfix/queue/counts.ts'
import { inject, openTestBackend, type TestBackend } from '../test/helpers/postfix-backend.ts'
import { startPostfix, type PostfixInstance } from '../test/helpers/postfix.ts'
import { check, freePort, median, onCleanup, progress, round, sleep } from './measure.ts'

// The Postfix backend's Mail Queue at 100,000 deferred messages: smtp-source
// injects them into a private Postfix whose relay is a closed loopback port.
// The dashboard's counts, the first page (a fresh reading of postqueue -j)
// and the next ones; Delete Queue next to `postsuper -d ALL` alone and
// `postqueue -p` in the same run.

const MESSAGES = 100_000
const SESSIONS = 20
const DEFER_CAP_MS = 20 * 60_000
const RUNS = 5
const PAGE_RUNS = 25

type Figures = Record<string, unknown>

async function ms<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

/** Injects MESSAGES and waits, by the queue directories, until every one is deferred. */
async function fill(pf: PostfixInstance, tools: PostfixTools, queueDir: string): Promise<void> {
  progress(`postfix: smtp-source injects ${MESSAGES} messages (relay closed)`)
  inject(pf, MESSAGES, 'bench@sender.test', 'rcpt@deferred.test', SESSIONS, DEFER_CAP_MS)
  const until = Date.now() + DEFER_CAP_MS
  for (;;) {
    const c = await queueDirectoryCounts(tools, queueDir)
    if (c.deferred === MESSAGES && c.total === MESSAGES) return
    if (Date.now() > until) throw new Error(`the queue did not settle at ${MESSAGES} deferred within ${DEFER_CAP_MS / 60_000} min: ${JSON.stringify(c)}`)
    await sleep(2_000)
  }
}

function timeCommand(program: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${program} ${args.join(' ')} exited ${String(code)}`))))
  })
}

export async function benchPostfix(): Promise<Figures> {
  const pf = await startPostfix({ relayPort: await freePort() })
  onCleanup(() => pf.stop())
  const tools = new PostfixTools({ runner: new LocalRunner(), configDir: pf.configDir })
  const [queueDir] = await tools.params(['queue_directory'])
  await fill(pf, tools, queueDir!)

  let tb: TestBackend = await openTestBackend(pf)
  onCleanup(() => tb.close())
  progress('postfix: counts, first page, next pages')
  const counts: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const r = await ms(() => tb.backend.call('status.get', undefined))
    check(r.value.ok && r.value.data.counts.deferred === MESSAGES, 'status.get counts every deferred message')
    counts.push(r.ms)
  }
  const firsts: number[] = []
  let first: Page<QueueEntry> | null = null
  for (let i = 0; i < 3; i++) {
    // A new backend each time: no snapshot, the page waits for postqueue -j's first rows only.
    if (i > 0) {
      await tb.close()
      tb = await openTestBackend(pf)
    }
    const r = await ms(() => tb.backend.call('queue.list', { limit: 50 }))
    check(r.value.ok && r.value.data.items.length === 50, 'the first page has 50 rows')
    if (r.value.ok) first = r.value.data
    firsts.push(r.ms)
  }
  // The next pages once the reading has finished (the countMatching below waits for a complete one).
  await tb.backend.call('queue.countMatching', { filter: {} })
  const full = await tb.backend.call('queue.list', { limit: 50 })
  check(full.ok && full.data.total === MESSAGES && full.data.totalExact, 'the complete reading has every message')
  let cursor = full.ok ? full.data.nextCursor : null
  const nexts: number[] = []
  for (let i = 0; i < PAGE_RUNS && cursor; i++) {
    const r = await ms(() => tb.backend.call('queue.list', { limit: 50, cursor }))
    check(r.value.ok && r.value.data.items.length === 50, 'a next page has 50 rows')
    cursor = r.value.ok ? r.value.data.nextCursor : null
    nexts.push(r.ms)
  }
  progress('postfix: postqueue -p')
  const postqueueP = await timeCommand('/usr/sbin/postqueue', ['-c', pf.configDir, '-p'])

  progress('postfix: Delete Queue through the backend')
  const del = await ms(() => tb.backend.call('queue.deleteAll', undefined))
  check(del.value.ok && del.value.data.count === MESSAGES, 'Delete Queue removed every message')

  await fill(pf, tools, queueDir!)
  progress('postfix: postsuper -d ALL alone')
  const postsuperMs = await timeCommand('/usr/sbin/postsuper', ['-c', pf.configDir, '-d', 'ALL'])
  check((await queueDirectoryCounts(tools, queueDir!)).total === 0, 'postsuper -d ALL emptied the queue')

  return {
    postfix_queue_counts_ms_at_100k: round(median(counts), 1),
    postfix_queue_first_page_ms_at_100k: round(median(firsts), 1),
    postfix_queue_first_page_total_seen: first?.total ?? null,
    postfix_queue_next_page_ms_at_100k: round(median(nexts), 2),
    postfix_delete_all_100k_ms: round(del.ms, 0),
    postsuper_delete_all_100k_ms: round(postsuperMs, 0),
    postqueue_p_100k_ms: round(postqueueP, 0),
  }
}
