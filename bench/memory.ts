import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { openEngine } from '../src/main/core/engine/engine.ts'
import { DEFAULT_SETTINGS } from '../src/shared/settings.ts'
import { removeDir, round, sleep, tempDir } from './measure.ts'
import { SmtpSink } from './sink.ts'

// The main process's memory during a burst of test emails: a child process
// runs the engine as the app's main process does (every push event taken by a
// listener that serializes it, as the IPC and SSE adapters do), gets 5,000
// mail.sendTest calls at once, delivers them all to Postfix's smtp-sink on
// loopback, and reports its peak resident size (VmHWM in /proc/self/status).
//
//   node bench/memory.ts [--count=5000] [--json]    (or: npm run bench -- --only=memory)

export const BURST = 5_000
/** The most the burst may take before the run is called unfinished. */
const CAP_MS = 10 * 60_000

interface ChildReport {
  vmhwmKb: number
  vmrssKb: number
  baselineHwmKb: number
  heapUsed: number
  gcMs: number
  elapsedMs: number
  sent: number
  left: number
  watchedLeft: number
  listenersLeft: number
  progressEvents: number
}

function statusKb(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) : Number.NaN
}

async function child(dataDir: string, port: number, count: number): Promise<ChildReport> {
  const engine = await openEngine({ dataDir })
  const saved = await engine.call('settings.update', {
    settings: { ...DEFAULT_SETTINGS, hostname: 'bench.example.test', fromAddress: 'alerts@bench.example.test', relayHost: '127.0.0.1', relayPort: port },
  })
  if (!saved.ok) throw new Error(`settings rejected: ${saved.error.message}`)
  // As an adapter does: every event is turned into the text it would send.
  let progressEvents = 0
  let sentBytes = 0
  for (const name of ['queue.changed', 'mailLog.appended', 'events.appended', 'settings.changed'] as const) {
    engine.on(name, (p) => (sentBytes += JSON.stringify(p).length))
  }
  engine.on('delivery.progress', (p) => {
    progressEvents++
    sentBytes += JSON.stringify(p).length
  })
  let gcMs = 0
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration
  })
  gc.observe({ entryTypes: ['gc'] })
  const baselineHwmKb = statusKb('VmHWM')
  const started = Date.now()
  // The burst: every call made at once, as a script driving the API would.
  const calls = await Promise.all(Array.from({ length: count }, (_, i) => engine.call('mail.sendTest', { to: `ops${i}@bench.example.test` })))
  const refused = calls.filter((c) => !c.ok)
  if (refused.length) throw new Error(`${refused.length} sendTest calls failed: ${JSON.stringify(refused[0])}`)
  while ((engine.queueView.count() > 0 || engine.worker.activeCount > 0) && Date.now() - started < CAP_MS) await sleep(100)
  const elapsedMs = Date.now() - started
  // Let the last coalesced events go out before reading the figures.
  await sleep(500)
  gc.disconnect()
  const report: ChildReport = {
    vmhwmKb: statusKb('VmHWM'),
    vmrssKb: statusKb('VmRSS'),
    baselineHwmKb,
    heapUsed: process.memoryUsage().heapUsed,
    gcMs,
    elapsedMs,
    sent: engine.mailLog.count('sent'),
    left: engine.queueView.count(),
    watchedLeft: engine.watch.watching().length,
    // Less the bench's own listener.
    listenersLeft: engine.notifier.listenerCount('delivery.progress') - 1,
    progressEvents,
  }
  await engine.close()
  return report
}

/** Runs the burst in a child process against smtp-sink; sizes in MiB, as /proc counts them (kB = KiB). */
export async function benchMemory(count = BURST): Promise<Record<string, unknown>> {
  if (!SmtpSink.available()) throw new Error('/usr/sbin/smtp-sink is missing (Debian package postfix)')
  const sink = await SmtpSink.start()
  const dataDir = tempDir('smtp-console-bench-memory-')
  try {
    const report = await new Promise<ChildReport>((resolve, reject) => {
      const c = fork(import.meta.filename, ['--child', dataDir, String(sink.port), String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      let got: ChildReport | null = null
      c.on('message', (m) => (got = m as ChildReport))
      c.once('error', reject)
      c.once('exit', (code) => (got ? resolve(got) : reject(new Error(`the engine's process exited (${code}) before reporting`))))
    })
    const mib = (kb: number) => round(kb / 1024, 1)
    return {
      burst_5k_test_vmhwm_mib: report.left === 0 ? mib(report.vmhwmKb) : null,
      burst_detail: {
        test_emails: count,
        vmhwm_mib: mib(report.vmhwmKb),
        vmhwm_before_burst_mib: mib(report.baselineHwmKb),
        vmrss_after_mib: mib(report.vmrssKb),
        heap_used_after_mib: round(report.heapUsed / 1024 / 1024, 1),
        gc_ms: Math.round(report.gcMs),
        elapsed_s: round(report.elapsedMs / 1000, 1),
        sent: report.sent,
        left_in_queue: report.left,
        watched_left: report.watchedLeft,
        progress_listeners_left: report.listenersLeft,
        progress_events: report.progressEvents,
        sink: `smtp-sink 127.0.0.1:${sink.port}`,
      },
    }
  } finally {
    sink.stop()
    removeDir(dataDir)
  }
}

if (process.argv[2] === '--child') {
  const [, , , dataDir, port, count] = process.argv
  const report = await child(dataDir!, Number(port), Number(count))
  process.send!(report, () => process.exit(0))
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = Number(process.argv.find((a) => a.startsWith('--count='))?.slice('--count='.length) ?? BURST)
  const figures = await benchMemory(count)
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  } else {
    const d = figures.burst_detail as Record<string, number | string>
    process.stdout.write(
      `Burst of ${d.test_emails} test emails: peak ${d.vmhwm_mib} MiB resident (VmHWM; ${d.vmhwm_before_burst_mib} MiB before the burst); ` +
        `after it ${d.vmrss_after_mib} MiB resident, ${d.heap_used_after_mib} MiB of heap; ${d.sent} sent in ${d.elapsed_s} s (${d.gc_ms} ms in GC), ${d.left_in_queue} left; ` +
        `watched left ${d.watched_left}, progress listeners left ${d.progress_listeners_left}, ${d.progress_events} progress events\n`,
    )
  }
}
