import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { DEFAULT_SETTINGS } from '../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../src/main/core/engine/engine.ts'
import { startPostfix } from '../test/helpers/postfix.ts'
import { HOSTNAME, SENDER } from './fill.ts'
import { check, freePort, onCleanup, progress, removeDir, round, sleep, tempDir } from './measure.ts'
import { SmtpSink } from './sink.ts'

// The race: Postfix's smtp-source (10 sessions, 10,000 messages of 2 KB) into
// the console's local submission, through the queue and the relay to
// smtp-sink; next to smtp-source into a private Postfix relaying to the same
// sink, and smtp-source straight into the sink (the wire's ceiling). Every
// 250 the console gives is durable (group commit: an fsync of the
// write-ahead log, begun after the message's commit, ended before its 250).

const SMTP_SOURCE = '/usr/sbin/smtp-source'
const POSTFIX = '/usr/sbin/postfix'
const SESSIONS = 10
const MESSAGES = 10_000
const SIZE = 2048
const CAP_MS = 5 * 60_000
const RECIPIENT = 'race@example.net'

type Figures = Record<string, unknown>

/** smtp-source's burst into a port; resolves with its time and the 250s it got for DATA. */
function smtpSource(port: number): Promise<{ ms: number; accepted: number; exit: number | null }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    // -v prints each reply: the 250s after DATA are counted from it.
    const child = spawn(SMTP_SOURCE, ['-v', '-s', String(SESSIONS), '-m', String(MESSAGES), '-l', String(SIZE), '-f', SENDER, '-t', RECIPIENT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    let accepted = 0
    let tail = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      const lines = (tail + chunk).split('\n')
      tail = lines.pop()!
      for (const l of lines) if (/<<< 250 2\.0\.0 /.test(l)) accepted++
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), CAP_MS)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ ms: performance.now() - start, accepted, exit: code })
    })
  })
}

async function untilSink(sink: SmtpSink, target: number, start: number): Promise<number | null> {
  let last = sink.messages
  let lastMove = performance.now()
  while (sink.messages < target) {
    if (performance.now() - start > CAP_MS || performance.now() - lastMove > 30_000) return null
    await sleep(10)
    if (sink.messages !== last) {
      last = sink.messages
      lastMove = performance.now()
    }
  }
  return performance.now() - start
}

async function consoleEngine(label: string, relayPort: number, grouping = true, thread?: false): Promise<CoreEngine> {
  const dir = tempDir(`smtp-console-bench-${label}-`)
  const engine = await openEngine({ dataDir: dir, startWorker: false, listener: { grouping, ...(thread === false ? { thread } : {}) } })
  onCleanup(async () => {
    await engine.close()
    removeDir(dir)
  })
  const port = await freePort()
  const saved = await engine.call('settings.update', {
    settings: { ...DEFAULT_SETTINGS, hostname: HOSTNAME, fromAddress: SENDER, relayHost: '127.0.0.1', relayPort, concurrency: 10, listenEnabled: true, listenPort: port },
  })
  if (!saved.ok) throw new Error(`settings rejected: ${JSON.stringify(saved.error)}`)
  const until = Date.now() + 10_000
  while (engine.status().listener?.state !== 'listening' && Date.now() < until) await sleep(20)
  check(engine.status().listener?.state === 'listening', `the listener listens on 127.0.0.1:${port}`)
  check(engine.listener.runsIn === (thread === false ? 'engine' : 'thread'), `the sessions run in ${thread === false ? "the engine's thread" : 'their own thread'}`)
  return engine
}

async function closeNow(engine: CoreEngine): Promise<void> {
  const dir = engine.dataDir
  await engine.close()
  removeDir(dir)
}

/** 250s per second with delivery paused: what the durable accept path takes. */
async function accept(sinkPort: number, grouping: boolean): Promise<Figures> {
  const engine = await consoleEngine(grouping ? 'accept' : 'accept-ungrouped', sinkPort, grouping)
  progress(`accept${grouping ? '' : ' (one commit per message)'}: smtp-source ${SESSIONS}×, ${MESSAGES} messages into the listener, delivery paused`)
  const run = await smtpSource(engine.settings.get().listenPort)
  const queued = engine.queueView.count()
  check(queued === run.accepted, `every 250 is in the queue (${run.accepted} 250s, ${queued} queued)`)
  const stats = { ...engine.listenerCommit.stats }
  await closeNow(engine)
  return {
    ms: round(run.ms, 0),
    accepted: run.accepted,
    msgsPerS: round(run.accepted / (run.ms / 1000), 0),
    commits: stats.commits,
    per_commit: round(stats.messages / Math.max(1, stats.commits), 1),
    // The share of the run the event loop spent inside commits, unable to answer any session (the fsyncs run off it).
    commit_ms: round(stats.commitMs, 0),
    commit_ms_each: round(stats.commitMs / Math.max(1, stats.commits), 2),
    fsyncs: stats.syncs,
  }
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function listenerE2e(sink: SmtpSink, thread?: false): Promise<Figures> {
  const engine = await consoleEngine(thread === false ? 'race-one-thread' : 'race', sink.port, true, thread)
  engine.worker.start()
  const before = sink.messages
  progress(`listener end to end${thread === false ? ", sessions in the engine's thread" : ''}: smtp-source → listener → queue → relay → smtp-sink, ${MESSAGES} messages`)
  const start = performance.now()
  const run = await smtpSource(engine.settings.get().listenPort)
  const ms = await untilSink(sink, before + run.accepted, start)
  await sleep(200)
  const latencies = (
    engine.db
      .prepare("SELECT s.at - r.at AS ms FROM mail_log r JOIN mail_log s ON s.queue_id = r.queue_id AND s.status = 'sent' WHERE r.status = 'received'")
      .all() as { ms: number }[]
  )
    .map((r) => r.ms)
    .sort((a, b) => a - b)
  const figures = { ms: ms === null ? null : round(ms, 0), accepted: run.accepted, smtpSourceMs: round(run.ms, 0), delivered: sink.messages - before, sent: engine.mailLog.count('sent'), latencies }
  await closeNow(engine)
  return figures
}

async function postfixE2e(sink: SmtpSink): Promise<Figures> {
  const postfix = await startPostfix({ relayPort: sink.port })
  onCleanup(() => postfix.stop())
  const before = sink.messages
  progress(`postfix end to end: smtp-source → private Postfix on 127.0.0.1:${postfix.port} → smtp-sink, ${MESSAGES} messages`)
  const start = performance.now()
  const run = await smtpSource(postfix.port)
  const ms = await untilSink(sink, before + run.accepted, start)
  await postfix.stop()
  return { ms: ms === null ? null : round(ms, 0), accepted: run.accepted, smtpSourceMs: round(run.ms, 0), delivered: sink.messages - before }
}

export async function benchListener(): Promise<Figures> {
  if (!existsSync(SMTP_SOURCE) || !SmtpSink.available()) {
    progress('smtp-source and smtp-sink are not installed (Debian package postfix): the race is not run')
    return { listener_e2e_msgs_per_s: null }
  }
  const rss = { peak: 0 }
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, process.memoryUsage().rss)), 50)
  onCleanup(() => clearInterval(sampler))
  const sink = await SmtpSink.start()
  onCleanup(() => sink.stop())

  progress(`wire: smtp-source → smtp-sink alone, ${MESSAGES} messages`)
  const wireBefore = sink.messages
  const wireStart = performance.now()
  const wireRun = await smtpSource(sink.port)
  const wireMs = await untilSink(sink, wireBefore + MESSAGES, wireStart)

  const grouped = await accept(sink.port, true)
  const ungrouped = await accept(sink.port, false)
  const e2e = await listenerE2e(sink)
  // The same race with the sessions on the engine's event loop: what their own thread gains, in this run.
  const oneThread = await listenerE2e(sink, false)
  const canPostfix = existsSync(POSTFIX) && process.getuid?.() === 0
  if (!canPostfix) progress('postfix is not installed or this is not root (postfix start needs root): Postfix is left out of the race')
  const pf = canPostfix ? await postfixE2e(sink) : null
  clearInterval(sampler)
  sink.stop()

  const rate = (f: Figures | null) => (f && typeof f.ms === 'number' ? round(Number(f.accepted) / (f.ms / 1000), 0) : null)
  const latencies = e2e.latencies as number[]
  const listenerRate = rate(e2e)
  const postfixRate = rate(pf)
  return {
    listener_e2e_msgs_per_s: listenerRate,
    postfix_e2e_msgs_per_s: postfixRate,
    listener_vs_postfix_ratio: listenerRate !== null && postfixRate !== null ? round(listenerRate / postfixRate, 3) : null,
    wire_msgs_per_s: wireMs === null ? null : round(MESSAGES / (wireMs / 1000), 0),
    listener_e2e_engine_thread_msgs_per_s: rate(oneThread),
    listener_accept_msgs_per_s: grouped.msgsPerS,
    listener_accept_ungrouped_msgs_per_s: ungrouped.msgsPerS,
    queue_latency_p50_ms: percentile(latencies, 50),
    queue_latency_p99_ms: percentile(latencies, 99),
    rss_mb_peak: round(rss.peak / (1024 * 1024), 1),
    listener_detail: {
      smtp_source: `-s ${SESSIONS} -m ${MESSAGES} -l ${SIZE}, one message per connection`,
      wire: { ms: wireMs === null ? null : round(wireMs, 0), smtpSourceExit: wireRun.exit },
      accept_grouped: grouped,
      accept_ungrouped: ungrouped,
      listener: { ...e2e, latencies: latencies.length },
      listener_engine_thread: { ...oneThread, latencies: (oneThread.latencies as number[]).length },
      postfix: pf,
    },
  }
}
