import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Page, QueueEntry } from '../src/shared/types.ts'
import { LocalRunner } from '../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../src/main/postfix/tools.ts'
import { queueDirectoryCounts } from '../src/main/postfix/queue/counts.ts'
import { openTestBackend, SMTP_SOURCE, type TestBackend } from '../test/helpers/postfix-backend.ts'
import { startPostfix, type PostfixInstance } from '../test/helpers/postfix.ts'
import { check, freePort, median, onCleanup, progress, round, sleep } from './measure.ts'

// The Postfix backend's Mail Queue at 100,000 deferred messages: smtp-source
// injects them into a private Postfix whose relay is a closed loopback port.
// The dashboard's counts, the first page (a fresh reading of postqueue -j)
// and the next ones; Delete Queue next to `postsuper -d ALL` alone and
// `postqueue -p` in the same run.

const MESSAGES = 100_000
/** smtp-source's parallel sessions: well under smtpd's default process_limit of 100. */
const SESSIONS = 50
/** Injections of what is still missing, should smtp-source stop early (a reset connection on a loaded machine). */
const INJECT_ROUNDS = 5
const DEFER_CAP_MS = 30 * 60_000
/**
 * The bench's own Postfix: cleanup does not pause for qmgr (in_flow_delay protects a real
 * server's queue manager, and stalls smtp-source up to 1 s a message when the machine is
 * busy), and the deferred queue stays at rest for the hour of the run, so the console's
 * Delete Queue and `postsuper -d ALL` alone meet the same queue, not one that qmgr's
 * retries (every 300 s by default) are moving through the active queue.
 */
const BENCH_MAIN_CF = ['in_flow_delay = 0', 'queue_run_delay = 3600s', 'minimal_backoff_time = 3600s', 'maximal_backoff_time = 7200s']
const RUNS = 5
const PAGE_RUNS = 25

type Figures = Record<string, unknown>

async function ms<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

/** smtp-source: `count` messages in SESSIONS sessions, killed past `timeoutMs`; how it ended. */
function smtpSource(pf: PostfixInstance, count: number, timeoutMs: number): Promise<{ ok: boolean; said: string }> {
  return new Promise((resolve) => {
    const child = spawn(SMTP_SOURCE, ['-s', String(SESSIONS), '-C', '5', '-m', String(count), '-f', 'bench@sender.test', '-t', 'rcpt@deferred.test', `127.0.0.1:${pf.port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-2_000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1_000, timeoutMs))
    child.once('error', (err) => {
      clearTimeout(timer)
      resolve({ ok: false, said: err.message })
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ ok: code === 0, said: stderr.trim() || `exit ${String(code ?? signal)}` })
    })
  })
}

/** The queue's counts once nothing is left in incoming (a session cut off mid-message leaves none behind). */
async function settledCounts(tools: PostfixTools, queueDir: string, until: number) {
  for (;;) {
    const c = await queueDirectoryCounts(tools, queueDir)
    // Settled: nothing waiting or being tried, so no message is counted in two directories at once.
    if ((c.queued === 0 && c.active === 0) || Date.now() > until) return c
    await sleep(1_000)
  }
}

/**
 * Injects MESSAGES and waits, by the queue directories, until every one is deferred. What
 * smtp-source missed is injected again, at most INJECT_ROUNDS times; what it queued over (a few
 * of 100,000 in many sessions on a busy machine) is deleted; all within DEFER_CAP_MS. Counts are
 * read only once the queue has settled: a message moving between directories during the walk is
 * counted twice.
 */
async function fill(pf: PostfixInstance, tools: PostfixTools, queueDir: string): Promise<void> {
  const until = Date.now() + DEFER_CAP_MS
  for (let round = 1; ; round++) {
    const c = await settledCounts(tools, queueDir, until)
    if (c.deferred === MESSAGES && c.total === MESSAGES) return
    if (Date.now() > until || round > INJECT_ROUNDS + 1) throw new Error(`the queue did not settle at ${MESSAGES} deferred within ${DEFER_CAP_MS / 60_000} min: ${JSON.stringify(c)}`)
    if (c.total > MESSAGES) {
      await trim(pf, queueDir, c.total - MESSAGES)
      continue
    }
    const missing = MESSAGES - c.total
    progress(`postfix: smtp-source injects ${missing} messages in ${SESSIONS} sessions (relay closed${round > 1 ? `, round ${round}` : ''}; load ${loadavg()[0]!.toFixed(2)})`)
    const r = await smtpSource(pf, missing, until - Date.now())
    if (!r.ok) progress(`postfix: smtp-source stopped early: ${r.said.split('\n').slice(-1)[0]!}`)
  }
}

/** Deletes `surplus` deferred messages, named by their queue files, through `postsuper -d -`. */
async function trim(pf: PostfixInstance, queueDir: string, surplus: number): Promise<void> {
  const found = spawnSync('find', [`${queueDir}/deferred`, '-type', 'f', '-printf', '%f\\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })
  const ids = found.stdout.split('\n').filter(Boolean).slice(0, surplus)
  progress(`postfix: ${surplus} messages more than ${MESSAGES} were queued; postsuper -d deletes ${ids.length} of them`)
  const r = spawnSync('/usr/sbin/postsuper', ['-c', pf.configDir, '-d', '-'], { input: `${ids.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`postsuper -d - failed: ${r.stderr}`)
  await sleep(1_000)
}

/** CPU seconds used by this process's finished children (their user and system time, /proc/self/stat cutime and cstime). */
function childrenCpuS(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')
  // After the command name, state is field 3: cutime and cstime are fields 16 and 17, in clock ticks (100 a second on Linux).
  return (Number(fields[13]) + Number(fields[14])) / 100
}

/** Wall and children's CPU time of `fn`, with the load when it began. */
async function cpuTimed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuS: number; load: number; value: T }> {
  const cpu = childrenCpuS()
  const load = loadavg()[0]!
  const r = await ms(fn)
  return { ...r, cpuS: childrenCpuS() - cpu, load }
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
  const pf = await startPostfix({ relayPort: await freePort(), main: BENCH_MAIN_CF })
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
  const del = await cpuTimed(() => tb.backend.call('queue.deleteAll', undefined))
  check(del.value.ok && del.value.data.count === MESSAGES, 'Delete Queue removed every message')
  progress(`postfix: Delete Queue ${round(del.ms / 1000, 1)} s, ${round(del.cpuS, 1)} s CPU in its children, load ${del.load.toFixed(2)} as it began`)

  await fill(pf, tools, queueDir!)
  progress('postfix: postsuper -d ALL alone')
  const postsuper = await cpuTimed(() => timeCommand('/usr/sbin/postsuper', ['-c', pf.configDir, '-d', 'ALL']))
  check((await queueDirectoryCounts(tools, queueDir!)).total === 0, 'postsuper -d ALL emptied the queue')
  progress(`postfix: postsuper -d ALL ${round(postsuper.ms / 1000, 1)} s, ${round(postsuper.cpuS, 1)} s CPU, load ${postsuper.load.toFixed(2)} as it began`)

  return {
    postfix_queue_counts_ms_at_100k: round(median(counts), 1),
    postfix_queue_first_page_ms_at_100k: round(median(firsts), 1),
    postfix_queue_first_page_total_seen: first?.total ?? null,
    postfix_queue_next_page_ms_at_100k: round(median(nexts), 2),
    postfix_delete_all_100k_ms: round(del.ms, 0),
    postfix_delete_all_100k_cpu_s: round(del.cpuS, 1),
    postfix_delete_all_100k_load: round(del.load, 2),
    postsuper_delete_all_100k_ms: round(postsuper.ms, 0),
    postsuper_delete_all_100k_cpu_s: round(postsuper.cpuS, 1),
    postsuper_delete_all_100k_load: round(postsuper.load, 2),
    postqueue_p_100k_ms: round(postqueueP, 0),
  }
}
