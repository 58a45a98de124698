import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { DatabaseSync } from 'node:sqlite'
import { openEngine } from '../src/main/core/engine/engine.ts'
import { encodeCursor } from '../src/main/core/logs/paging.ts'
import { SENDER, sampleMessage } from './fill.ts'
import { check, medianMs, progress, removeDir, round, tempDir } from './measure.ts'

// The queue at incident scale: 1,000,000 messages (a relay down over a
// weekend). Run in a child process of its own, so its peak resident size is
// the engine's at 1M and nothing else's: `node bench/queue-1m.ts --child`
// prints one JSON object. Part `queue1m` of `npm run bench`.

const SIZE = 1_000_000
const PAGE_RUNS = 25
const SAMPLE = 100_000

type Figures = Record<string, unknown>

function vmhwmMib(): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0)
  return round(kb / 1024, 1)
}

/**
 * 1M messages straight into the tables in one transaction (the triggers keep the
 * counts as they go): 70% deferred, 20% queued, 10% held, one recipient each at
 * one of 100 domains, every message the same ~1.2 KB of bytes.
 */
function fill(db: DatabaseSync, raw: Buffer, now: number): void {
  db.exec('BEGIN')
  db.prepare(
    `INSERT INTO messages (id, queue_id, message_id, sender, subject, size, arrival_at, state, attempts, next_attempt_at, is_test)
     WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     SELECT i, printf('%012X', i), '<bench@example.test>', ?, 'Nightly report ' || i, ?, ? - (? - i) * 100,
       CASE WHEN i % 10 < 7 THEN 'deferred' WHEN i % 10 < 9 THEN 'queued' ELSE 'hold' END,
       CASE WHEN i % 10 < 7 THEN 1 ELSE 0 END, ? + 3600000, 0 FROM seq`,
  ).run(SIZE, SENDER, raw.length, now, SIZE, now)
  db.prepare(
    `INSERT INTO message_bodies (message_id, raw)
     WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     SELECT i, ? FROM seq`,
  ).run(SIZE, raw)
  db.prepare(
    `INSERT INTO recipients (message_id, address, domain, status, updated_at)
     WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     SELECT i, 'user' || (i % 5000) || '@d' || (i % 100) || '.example.test', 'd' || (i % 100) || '.example.test', 'pending', ? FROM seq`,
  ).run(SIZE, now)
  db.exec('COMMIT')
}

/** Where Delete Queue's time goes, on the first SAMPLE messages, each step rolled back. */
function deleteBreakdown(db: DatabaseSync, now: number): Figures {
  const step = (sql: string, ...args: (string | number)[]) => {
    const start = performance.now()
    db.prepare(sql).run(...args)
    return round(performance.now() - start, 0)
  }
  const logSql = `INSERT INTO mail_log (at, queue_id, sender, recipient, status, delay_ms, size, reply)
    SELECT ?, m.queue_id, m.sender, r.address, 'deleted', ? - m.arrival_at, m.size, 'deleted by the administrator (Delete Queue)'
    FROM recipients r JOIN messages m ON m.id = r.message_id WHERE m.id <= ? AND r.status = 'pending'`
  const out: Figures = { sample_messages: SAMPLE }
  db.exec('BEGIN')
  try {
    out.log_rows_with_triggers_ms = step(logSql, now, now, SAMPLE)
    out.delete_recipients_ms = step('DELETE FROM recipients WHERE message_id <= ?', SAMPLE)
    out.delete_messages_ms = step('DELETE FROM messages WHERE id <= ?', SAMPLE)
    out.delete_bodies_ms = step('DELETE FROM message_bodies WHERE message_id <= ?', SAMPLE)
  } finally {
    db.exec('ROLLBACK')
  }
  // The same log rows with the report rollup's and the row counts' triggers dropped (inside the rolled-back transaction).
  db.exec('BEGIN')
  try {
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'mail_log'").all() as { name: string }[]
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`)
    out.log_rows_without_triggers_ms = step(logSql, now, now, SAMPLE)
    out.mail_log_triggers = triggers.map((t) => t.name)
    const qTriggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('messages', 'recipients')").all() as { name: string }[]
    for (const t of qTriggers) db.exec(`DROP TRIGGER "${t.name}"`)
    out.delete_recipients_without_count_triggers_ms = step('DELETE FROM recipients WHERE message_id <= ?', SAMPLE)
    out.delete_messages_without_count_triggers_ms = step('DELETE FROM messages WHERE id <= ?', SAMPLE)
  } finally {
    db.exec('ROLLBACK')
  }
  return out
}

async function child(): Promise<Figures> {
  const dir = tempDir('smtp-console-bench-queue1m-')
  const engine = await openEngine({ dataDir: dir, startWorker: false })
  try {
    const { raw } = await sampleMessage()
    const now = Date.now()
    progress(`queue1m: filling ${SIZE.toLocaleString('en-US')} messages in bulk`)
    let start = performance.now()
    fill(engine.db, raw, now)
    const fillMs = performance.now() - start
    check(engine.queueView.count() === SIZE, `the queue holds ${SIZE} messages`)
    const afterFillMib = vmhwmMib()

    progress('queue1m: pages, counts')
    const deepId = 1_000
    const pageAt = (state: 'hold' | undefined, deep: boolean) => {
      const scope = { list: 'queue' as const, filter: { state } }
      const position = deep ? (engine.db.prepare(`SELECT count(*) AS n FROM messages WHERE id >= ? ${state ? 'AND state = ?' : ''}`).get(...(state ? [deepId, state] : [deepId])) as { n: number }).n : 0
      const cursor = deep ? encodeCursor(engine.db, scope, { direction: 'before', id: deepId, position }) : null
      const query = { limit: 50, cursor, ...(state ? { state } : {}) }
      const page = engine.queueView.list(query)
      check(page.items.length === 50 && page.position === position, `a queue page (${state ?? 'all'}, ${deep ? 'deep' : 'first'}) has 50 rows`)
      check(page.total === engine.queueView.count(state), 'the page total is the kept count')
      return medianMs(() => engine.queueView.list(query), PAGE_RUNS)
    }
    const first = pageAt(undefined, false)
    const deep = pageAt(undefined, true)
    const stateFirst = pageAt('hold', false)
    const stateDeep = pageAt('hold', true)
    const statusMs = medianMs(() => engine.status().counts, PAGE_RUNS)
    const summaryMs = medianMs(() => engine.queueView.summary(), PAGE_RUNS)
    const filterCountMs = medianMs(() => engine.queueView.countMatching({ domain: 'd7.example.test' }), 3, 1)

    const breakdown = deleteBreakdown(engine.db, Date.now())

    // CPU time beside the wall clock: on a shared machine the wall clock also counts the neighbours' turns.
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since)
      return round((used.user + used.system) / 1000, 0)
    }
    progress('queue1m: Flush Queue of 1M (900k waiting)')
    let cpu = process.cpuUsage()
    start = performance.now()
    const flushed = await engine.bulk.run('flush')
    const flushMs = performance.now() - start
    const flushCpuMs = cpuMs(cpu)
    check(flushed === SIZE * 0.9, 'flush made every waiting message due')

    progress('queue1m: Delete Queue of 1M')
    const logBefore = engine.mailLog.count('deleted')
    cpu = process.cpuUsage()
    start = performance.now()
    const deleted = await engine.bulk.run('deleteAll')
    const deleteMs = performance.now() - start
    const deleteCpuMs = cpuMs(cpu)
    check(deleted === SIZE && engine.queueView.count() === 0, 'Delete Queue emptied the queue')
    check(engine.mailLog.count('deleted') - logBefore === SIZE, 'one deleted log row per message')
    // What Delete Queue leaves for afterwards, timed on its own: the bodies' pages freed, and the log copied into the database.
    progress('queue1m: the bodies left by Delete Queue freed in the background')
    start = performance.now()
    const sweepUntil = Date.now() + 120_000
    while (engine.queue.bodies.pending && Date.now() < sweepUntil) await new Promise((resolve) => setTimeout(resolve, 5))
    const sweptMs = performance.now() - start
    check(!engine.queue.bodies.pending, 'the bodies Delete Queue left were freed')
    const bodiesLeft = (engine.db.prepare('SELECT count(*) AS n FROM message_bodies').get() as { n: number }).n
    check(bodiesLeft === 0, `no body is left without its message (${bodiesLeft})`)
    start = performance.now()
    await engine.checkpointer.caughtUp()
    const walCopiedMs = performance.now() - start

    return {
      queue_fill_1m_ms: round(fillMs, 0),
      queue_page_ms_at_1m: round(Math.max(first, deep), 3),
      queue_page_state_filter_ms_at_1m: round(Math.max(stateFirst, stateDeep), 3),
      queue_counts_ms_at_1m: round(Math.max(statusMs, summaryMs), 3),
      flush_1m_ms: round(flushMs, 0),
      delete_all_1m_ms: round(deleteMs, 0),
      rss_mb_peak_at_1m: vmhwmMib(),
      queue_1m_detail: {
        first_page_ms: round(first, 3),
        deep_page_ms: round(deep, 3),
        state_hold_first_page_ms: round(stateFirst, 3),
        state_hold_deep_page_ms: round(stateDeep, 3),
        status_counts_ms: round(statusMs, 3),
        summary_ms: round(summaryMs, 3),
        count_matching_domain_ms: round(filterCountMs, 1),
        vmhwm_after_fill_mib: afterFillMib,
        message_bytes: raw.length,
        flush_cpu_ms: flushCpuMs,
        delete_all_cpu_ms: deleteCpuMs,
        delete_all_bodies_swept_after_ms: round(sweptMs, 0),
        delete_all_wal_copied_after_ms: round(walCopiedMs, 0),
        delete_breakdown: breakdown,
        runs: PAGE_RUNS,
      },
    }
  } finally {
    await engine.close()
    removeDir(dir)
  }
}

/** Runs the 1M part in a child process and returns its figures. */
export function benchQueue1m(): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const proc = fork(import.meta.filename, ['--child'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let out = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
    proc.once('error', reject)
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the queue1m child exited with ${code}`))
      try {
        resolve(JSON.parse(out) as Figures)
      } catch (err) {
        reject(err)
      }
    })
  })
}

if (process.argv.includes('--child')) {
  process.stdout.write(`${JSON.stringify(await child())}\n`)
}
