import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import type { DatabaseSync } from 'node:sqlite'
import { openEngine } from '../src/main/core/engine/engine.ts'
import { addDays, dayBounds, dayReport, localDate } from '../src/main/core/reports/day-report.ts'
import type { DayReport } from '../src/shared/report.ts'
import { median, progress, removeDir, round, tempDir, timed } from './measure.ts'

// A day of a million deliveries: the console's report on it, and pflogsumm
// on a Postfix log of the same traffic, written by this benchmark.
// `node bench/report.ts` runs this part alone and prints its JSON.

const MESSAGES = 500_000
/** Every message goes to two recipients that accept it: 1,000,000 deliveries. */
const DELIVERED_PER_MESSAGE = 2
/** Every 100th message's first recipient is deferred once, then accepted on the retry. */
const DEFER_EVERY = 100
/** Every 500th message has a third recipient that bounces. */
const BOUNCE_EVERY = 500
const RECIPIENTS = 100_000
const RECIPIENT_DOMAINS = 1_000
const SENDERS = 200
const SENDER_DOMAINS = 20
const RETRY_AFTER_MS = 300_000
const REPORT_RUNS = 5
const TOP = 20
const PFLOGSUMM = '/usr/sbin/pflogsumm'
const PFLOGSUMM_TIMEOUT_MS = 15 * 60_000

const RELAY_HOST = 'relay.example.test'
const RELAY_IP = '192.0.2.10'
const RELAY = `${RELAY_HOST}[${RELAY_IP}]:25`
const GREYLIST_REPLY = '451 4.7.1 <%s>: Recipient address rejected: Greylisted, try again later'
const UNKNOWN_REPLY = '550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table'

/** One message of the day, and what became of each recipient. */
interface Message {
  queueId: string
  sender: string
  size: number
  arrival: number
  deliveries: { to: string; at: number; delayMs: number; status: 'sent' | 'deferred' | 'bounced' }[]
}

function recipient(k: number): string {
  return `user${k % RECIPIENTS}@d${k % RECIPIENT_DOMAINS}.example.net`
}

/** The day's traffic, message by message, spread evenly over the day and finished before midnight. */
function* traffic(from: number, to: number): Generator<Message> {
  const span = to - from - 15 * 60_000
  for (let m = 0; m < MESSAGES; m++) {
    const arrival = from + Math.floor((m * span) / MESSAGES)
    const delayMs = 200 + ((m * 7919) % 2800)
    const deliveries: Message['deliveries'] = []
    for (let j = 0; j < DELIVERED_PER_MESSAGE; j++) {
      const to = recipient(m * DELIVERED_PER_MESSAGE + j)
      if (j === 0 && m % DEFER_EVERY === 0) {
        deliveries.push({ to, at: arrival + delayMs, delayMs, status: 'deferred' })
        deliveries.push({ to, at: arrival + RETRY_AFTER_MS + delayMs, delayMs: RETRY_AFTER_MS + delayMs, status: 'sent' })
      } else {
        deliveries.push({ to, at: arrival + delayMs, delayMs, status: 'sent' })
      }
    }
    if (m % BOUNCE_EVERY === 0) deliveries.push({ to: `nobody${m}@d${m % RECIPIENT_DOMAINS}.example.net`, at: arrival + delayMs, delayMs, status: 'bounced' })
    yield {
      queueId: (0x1000000000 + m).toString(16).toUpperCase(),
      sender: `app${m % SENDERS}@host${m % SENDER_DOMAINS}.example.test`,
      size: 2_000 + ((m * 37) % 30_000),
      arrival,
      deliveries,
    }
  }
}

/** Writes the day into the mail log as the engine does: one received row per message, one row per recipient and attempt. */
function fillMailLog(db: DatabaseSync, from: number, to: number): number {
  const insert = db.prepare(
    'INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  let rows = 0
  // A larger page cache for the fill only; the report is measured with the default.
  const cacheSize = (db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size
  db.exec('PRAGMA cache_size = -262144')
  db.exec('BEGIN IMMEDIATE')
  try {
    for (const msg of traffic(from, to)) {
      insert.run(msg.arrival, msg.queueId, msg.sender, msg.deliveries.map((d) => d.to).filter((t, i, a) => a.indexOf(t) === i).join(', '), 'received', null, null, null, null, msg.size, null, null)
      rows++
      for (const d of msg.deliveries) {
        if (d.status === 'sent') insert.run(d.at, msg.queueId, msg.sender, d.to, 'sent', RELAY, d.delayMs, '2.0.0', '250 2.0.0 Ok: queued as 4XyZ', msg.size, 'TLSv1.3', null)
        else if (d.status === 'deferred') insert.run(d.at, msg.queueId, msg.sender, d.to, 'deferred', RELAY, d.delayMs, '4.7.1', GREYLIST_REPLY.replace('%s', d.to), msg.size, 'TLSv1.3', 'greylisted')
        else insert.run(d.at, msg.queueId, msg.sender, d.to, 'bounced', RELAY, d.delayMs, '5.1.1', UNKNOWN_REPLY.replace('%s', d.to), msg.size, 'TLSv1.3', 'user-unknown')
        rows++
      }
    }
    db.exec('COMMIT')
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  } finally {
    db.exec(`PRAGMA cache_size = ${cacheSize}`)
  }
  return rows
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A syslog time stamp in local time, as Postfix writes it: "Mar  9 14:05:09". */
function stamp(at: number): string {
  const t = new Date(at)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`
}

/** The same traffic as Postfix logs it when mail is submitted locally and relayed: pickup, cleanup, qmgr, smtp. */
async function writeMaillog(path: string, from: number, to: number): Promise<number> {
  const out = createWriteStream(path)
  let chunk: string[] = []
  let lines = 0
  const flush = async () => {
    if (!out.write(chunk.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    chunk = []
  }
  const host = 'console'
  for (const msg of traffic(from, to)) {
    const s = stamp(msg.arrival)
    const q = msg.queueId
    chunk.push(`${s} ${host} postfix/pickup[2101]: ${q}: uid=1000 from=<${msg.sender}>\n`)
    chunk.push(`${s} ${host} postfix/cleanup[2102]: ${q}: message-id=<${q}.${msg.arrival}@bench.example.test>\n`)
    chunk.push(`${s} ${host} postfix/qmgr[2103]: ${q}: from=<${msg.sender}>, size=${msg.size}, nrcpt=${new Set(msg.deliveries.map((d) => d.to)).size} (queue active)\n`)
    let last = msg.arrival
    for (const d of msg.deliveries) {
      const delay = (d.delayMs / 1000).toFixed(1)
      const head = `${stamp(d.at)} ${host} postfix/smtp[2104]: ${q}: to=<${d.to}>, relay=${RELAY}, delay=${delay}, delays=0.01/0/0.05/${delay}`
      if (d.status === 'sent') chunk.push(`${head}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n`)
      else if (d.status === 'deferred')
        chunk.push(`${head}, dsn=4.7.1, status=deferred (host ${RELAY_HOST}[${RELAY_IP}] said: ${GREYLIST_REPLY.replace('%s', d.to)} (in reply to RCPT TO command))\n`)
      else chunk.push(`${head}, dsn=5.1.1, status=bounced (host ${RELAY_HOST}[${RELAY_IP}] said: ${UNKNOWN_REPLY.replace('%s', d.to)} (in reply to RCPT TO command))\n`)
      lines++
      last = Math.max(last, d.at)
    }
    chunk.push(`${stamp(last)} ${host} postfix/qmgr[2103]: ${q}: removed\n`)
    lines += 4
    if (chunk.length >= 10_000) await flush()
  }
  await flush()
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return lines
}

/** Runs pflogsumm on the log; its output and the time it took. */
function runPflogsumm(path: string): Promise<{ ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(PFLOGSUMM, [path], { stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), PFLOGSUMM_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = performance.now() - start
      if (code !== 0) reject(new Error(`pflogsumm exited with ${code ?? signal}: ${stderr.trim()}`))
      else resolve({ ms, output: Buffer.concat(chunks).toString() })
    })
  })
}

/** A figure of pflogsumm's Grand Totals, in its units (k and m are 1024 and 1024²). */
export function pflogsummTotal(output: string, label: string): { value: number; unit: string } | null {
  const m = new RegExp(`^\\s*(\\d+)([ km])\\s+${label.replace(/[()]/g, '\\$&')}\\b`, 'm').exec(output)
  return m ? { value: Number(m[1]), unit: m[2]! } : null
}

/** Whether pflogsumm's rounded figure is the console's exact one. */
function sameFigure(exact: number, shown: { value: number; unit: string } | null): boolean {
  if (!shown) return false
  const divisor = shown.unit === 'm' ? 1024 * 1024 : shown.unit === 'k' ? 1024 : 1
  return Math.trunc(exact / divisor) === shown.value
}

function compareTotals(report: DayReport, output: string): Record<string, boolean> {
  const t = report.totals
  return {
    received: sameFigure(t.received, pflogsummTotal(output, 'received')),
    delivered: sameFigure(t.delivered, pflogsummTotal(output, 'delivered')),
    deferred: sameFigure(t.deferred, pflogsummTotal(output, 'deferred')),
    bounced: sameFigure(t.bounced, pflogsummTotal(output, 'bounced')),
    bytes_received: sameFigure(t.bytesReceived, pflogsummTotal(output, 'bytes received')),
    bytes_delivered: sameFigure(t.bytesDelivered, pflogsummTotal(output, 'bytes delivered')),
    senders: sameFigure(t.senders, pflogsummTotal(output, 'senders')),
  }
}

export async function benchReport(): Promise<{ report_day_1m_ms: number; pflogsumm_equiv_ms: number | null; report_detail: Record<string, unknown> }> {
  const dir = tempDir('smtp-console-bench-report-')
  const engine = await openEngine({ dataDir: dir, startWorker: false })
  try {
    const db = engine.db

    const date = addDays(localDate(Date.now()), -1)
    const { from, to } = dayBounds(date)
    progress(`report: filling the mail log with ${MESSAGES} messages, ${MESSAGES * DELIVERED_PER_MESSAGE} deliveries on ${date}`)
    const fill = timed(() => fillMailLog(db, from, to))

    progress('report: the day’s report, from the rollup')
    const first = timed(() => dayReport(db, date, TOP))
    const runs: number[] = []
    for (let i = 0; i < REPORT_RUNS; i++) runs.push(timed(() => dayReport(db, date, TOP)).ms)
    const report = first.value
    if (report.totals.delivered !== MESSAGES * DELIVERED_PER_MESSAGE) {
      throw new Error(`benchmark sanity check failed: the report counts ${report.totals.delivered} deliveries, not ${MESSAGES * DELIVERED_PER_MESSAGE}`)
    }
    progress('report: the same report summed from the mail log itself')
    const fromLog = timed(() => dayReport(db, date, TOP, { fromLog: true }))
    const agree = JSON.stringify(fromLog.value) === JSON.stringify(report)

    let pflogsumm: Record<string, unknown> = { available: false }
    let pflogsummMs: number | null = null
    if (existsSync(PFLOGSUMM)) {
      const log = join(dir, 'maillog')
      progress('report: writing the same traffic as a Postfix log')
      const started = performance.now()
      const lines = await writeMaillog(log, from, to)
      const writeMs = performance.now() - started
      progress(`report: pflogsumm over ${lines} lines (${Math.round(statSync(log).size / 1024 / 1024)} MiB)`)
      const run = await runPflogsumm(log)
      pflogsummMs = round(run.ms, 0)
      pflogsumm = {
        available: true,
        log_lines: lines,
        log_mib: round(statSync(log).size / 1024 / 1024, 1),
        log_write_ms: round(writeMs, 0),
        grand_totals_match: compareTotals(report, run.output),
      }
    }
    return {
      report_day_1m_ms: round(first.ms, 1),
      pflogsumm_equiv_ms: pflogsummMs,
      report_detail: {
        day: date,
        hours: report.hours.length,
        mail_log_rows: fill.value,
        deliveries: report.totals.delivered,
        distinct_recipients: report.totals.recipients,
        recipient_domains: report.totals.recipientDomains,
        senders: report.totals.senders,
        fill_ms: round(fill.ms, 0),
        fill_us_per_row: round((fill.ms * 1000) / fill.value, 1),
        first_report_ms: round(first.ms, 1),
        median_report_ms: round(median(runs), 1),
        runs_ms: runs.map((r) => round(r, 1)),
        from_log_ms: round(fromLog.ms, 0),
        from_log_agrees: agree,
        pflogsumm,
      },
    }
  } finally {
    await engine.close()
    removeDir(dir)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchReport().then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    },
  )
}
