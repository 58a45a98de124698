import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A private Postfix instance for cross-checks: its own configuration
// directory, queue and log file in a temporary directory, smtpd on a free
// loopback port, relaying everything to a given port on 127.0.0.1.

export const POSTFIX = '/usr/sbin/postfix'
export const POSTQUEUE = '/usr/sbin/postqueue'
export const POSTCONF = '/usr/sbin/postconf'
export const PFLOGSUMM = '/usr/sbin/pflogsumm'

const COMMAND_TIMEOUT_MS = 30_000

function run(command: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS })
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` }
}

function userId(user: string): number | null {
  const r = run('id', ['-u', user])
  return r.status === 0 ? Number(r.out.trim()) : null
}

function groupId(group: string): number | null {
  const r = run('getent', ['group', group])
  return r.status === 0 ? Number(r.out.split(':')[2]) : null
}

/** Why a private Postfix cannot be started here, or null when it can. */
export function postfixUnusable(): string | null {
  for (const tool of [POSTFIX, POSTQUEUE, POSTCONF, PFLOGSUMM]) if (!existsSync(tool)) return `${tool} is not installed (Debian packages postfix and pflogsumm)`
  // master(8) starts as root and drops to mail_owner; `postfix start` refuses anyone else.
  if (process.getuid?.() !== 0) return 'postfix start must run as root'
  if (userId('postfix') === null) return 'there is no postfix user (mail_owner)'
  if (groupId('postdrop') === null) return 'there is no postdrop group (setgid_group)'
  const version = /mail_version = (\d+)\.(\d+)/.exec(run(POSTCONF, ['-d', 'mail_version']).out)
  // maillog_file (a log file without syslog) came with Postfix 3.4.
  if (!version || Number(version[1]) * 100 + Number(version[2]) < 304) return `Postfix 3.4 or later is needed for maillog_file (found ${version?.[0] ?? 'none'})`
  return null
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`Postfix smtpd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface PostfixQueueEntry {
  queue_name: string
  queue_id: string
  message_size: number
  sender: string
  recipients: { address: string; delay_reason?: string }[]
}

export interface PostfixInstance {
  /** smtpd's port on 127.0.0.1. */
  port: number
  configDir: string
  maillog: string
  /** `postqueue -f`: every queued message is tried now. */
  flush(): void
  /** `postqueue -j`: the queue, one entry per message. */
  queue(): PostfixQueueEntry[]
  log(): string
  /** `postfix stop`, then the directory goes; the master is killed by its pid if it outlives the stop. */
  stop(): Promise<void>
}

export interface StartPostfixOptions {
  relayPort: number
  /** Per-domain routes beside the relay (transport(5): domain → `smtp:[127.0.0.1]:port`), read without postmap. */
  transports?: Record<string, string>
  /** More main.cf lines (`name = value`). */
  main?: string[]
}

/** Starts Postfix with smtpd on a free loopback port, relaying all mail to 127.0.0.1:relayPort. */
export async function startPostfix(options: StartPostfixOptions): Promise<PostfixInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-postfix-'))
  // The daemons run as the postfix user and must reach the queue under this directory.
  chmodSync(dir, 0o755)
  const configDir = join(dir, 'etc')
  const queueDir = join(dir, 'spool')
  const dataDir = join(dir, 'data')
  const maillog = join(dir, 'maillog')
  for (const d of [configDir, queueDir, dataDir]) mkdirSync(d, { mode: 0o755 })
  chownSync(dataDir, userId('postfix')!, groupId('postfix') ?? 0)
  const port = await freePort()
  const transports = Object.entries(options.transports ?? {})
  if (transports.length) writeFileSync(join(configDir, 'transport'), transports.map(([domain, to]) => `${domain} ${to}\n`).join(''))
  writeFileSync(
    join(configDir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queueDir}`,
      `data_directory = ${dataDir}`,
      'meta_directory = /etc/postfix',
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = postfix.report.test',
      'mydomain = report.test',
      'myorigin = $myhostname',
      // Nothing is local: every recipient is relayed, from loopback clients only.
      'mydestination =',
      'relay_domains =',
      'local_recipient_maps =',
      'alias_maps =',
      'alias_database =',
      'mynetworks = 127.0.0.0/8',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      `relayhost = [127.0.0.1]:${options.relayPort}`,
      'smtp_dns_support_level = disabled',
      'smtpd_peername_lookup = no',
      'smtp_tls_security_level = none',
      'smtpd_tls_security_level = none',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${maillog}`,
      'biff = no',
      ...(transports.length ? [`transport_maps = texthash:${join(configDir, 'transport')}`] : []),
      ...(options.main ?? []),
      '',
    ].join('\n'),
  )
  const service = (name: string, type: string, priv: string, wakeup: string, limit: string, command: string) =>
    `${name.padEnd(16)} ${type.padEnd(10)} ${priv} - n ${wakeup} ${limit} ${command}`
  writeFileSync(
    join(configDir, 'master.cf'),
    [
      service(`127.0.0.1:${port}`, 'inet', 'n', '-', '-', 'smtpd'),
      service('pickup', 'unix', 'n', '60', '1', 'pickup'),
      service('cleanup', 'unix', 'n', '-', '0', 'cleanup'),
      service('qmgr', 'unix', 'n', '300', '1', 'qmgr'),
      service('rewrite', 'unix', '-', '-', '-', 'trivial-rewrite'),
      service('bounce', 'unix', '-', '-', '0', 'bounce'),
      service('defer', 'unix', '-', '-', '0', 'bounce'),
      service('trace', 'unix', '-', '-', '0', 'bounce'),
      service('verify', 'unix', '-', '-', '1', 'verify'),
      service('flush', 'unix', 'n', '1000?', '0', 'flush'),
      service('proxymap', 'unix', '-', '-', '-', 'proxymap'),
      service('smtp', 'unix', '-', '-', '-', 'smtp'),
      service('relay', 'unix', '-', '-', '-', 'smtp'),
      service('showq', 'unix', 'n', '-', '-', 'showq'),
      service('error', 'unix', '-', '-', '-', 'error'),
      service('retry', 'unix', '-', '-', '-', 'error'),
      service('discard', 'unix', '-', '-', '-', 'discard'),
      service('anvil', 'unix', '-', '-', '1', 'anvil'),
      service('scache', 'unix', '-', '-', '1', 'scache'),
      service('postlog', 'unix-dgram', 'n', '-', '1', 'postlogd'),
      '',
    ].join('\n'),
  )
  const pidFile = join(queueDir, 'pid', 'master.pid')
  const stop = async () => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0
    run(POSTFIX, ['-c', configDir, 'stop'])
    const until = Date.now() + 10_000
    while (pid > 0 && alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  // Without syslog, `postfix` reports its errors only to a terminal or the log file.
  const started = run(POSTFIX, ['-c', configDir, 'start'])
  if (started.status !== 0 || !existsSync(pidFile)) {
    const log = existsSync(maillog) ? readFileSync(maillog, 'utf8') : '(no log file)'
    await stop()
    throw new Error(`postfix -c ${configDir} start failed (${started.status}): ${started.out}\n${log}`)
  }
  try {
    await listening(port, 10_000)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    port,
    configDir,
    maillog,
    flush: () => {
      const r = run(POSTQUEUE, ['-c', configDir, '-f'])
      if (r.status !== 0) throw new Error(`postqueue -f failed: ${r.out}`)
    },
    queue: () => {
      const r = run(POSTQUEUE, ['-c', configDir, '-j'])
      if (r.status !== 0) throw new Error(`postqueue -j failed: ${r.out}`)
      return r.out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as PostfixQueueEntry)
    },
    log: () => (existsSync(maillog) ? readFileSync(maillog, 'utf8') : ''),
    stop,
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export interface PflogsummTotals {
  received: number
  delivered: number
  deferred: number
  deferrals: number
  bounced: number
  rejected: number
  bytesReceived: number
  bytesDelivered: number
  senders: number
  senderDomains: number
  recipients: number
  recipientDomains: number
}

/** Runs pflogsumm over a log file and reads its Grand Totals; `rounded` names the figures it printed in k or m. */
export function pflogsumm(logFile: string, options: string[] = []): { output: string; totals: PflogsummTotals; rounded: string[] } {
  const r = spawnSync(PFLOGSUMM, [...options, logFile], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS })
  if (r.status !== 0) throw new Error(`pflogsumm failed (${r.status}): ${r.stderr}`)
  const output = r.stdout
  const rounded: string[] = []
  const figure = (label: string): number => {
    const m = new RegExp(`^\\s*(\\d+)([ km])\\s+${label}`, 'm').exec(output)
    if (!m) throw new Error(`pflogsumm printed no "${label}" line:\n${output}`)
    if (m[2] !== ' ') rounded.push(label)
    return Number(m[1]) * (m[2] === 'm' ? 1024 * 1024 : m[2] === 'k' ? 1024 : 1)
  }
  const deferrals = /^\s*\d+[ km]\s+deferred\s+\((\d+)[ km]?\s*deferrals\)/m.exec(output)
  const totals: PflogsummTotals = {
    received: figure('received'),
    delivered: figure('delivered'),
    deferred: figure('deferred'),
    deferrals: deferrals ? Number(deferrals[1]) : 0,
    bounced: figure('bounced'),
    rejected: figure('rejected'),
    bytesReceived: figure('bytes received'),
    bytesDelivered: figure('bytes delivered'),
    senders: figure('senders'),
    senderDomains: figure('sending hosts/domains'),
    recipients: figure('recipients'),
    recipientDomains: figure('recipient hosts/domains'),
  }
  return { output, totals, rounded }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A syslog time stamp in local time, as Postfix writes it: "Jun  9 14:05:09". */
export function syslogStamp(at: number): string {
  const t = new Date(at)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`
}

export interface LoggedMessage {
  queueId: string
  sender: string
  size: number
  arrival: number
  deliveries: { to: string; delayMs: number; status: 'sent' | 'deferred' | 'bounced'; reply: string }[]
}

/** The lines Postfix logs for a locally submitted message relayed to 127.0.0.1: pickup, cleanup, qmgr, one smtp line per attempt, removal. */
export function postfixLogLines(m: LoggedMessage, host = 'console'): string[] {
  const relay = 'relay.example.test[192.0.2.10]:25'
  const lines = [
    `${syslogStamp(m.arrival)} ${host} postfix/pickup[2101]: ${m.queueId}: uid=1000 from=<${m.sender}>`,
    `${syslogStamp(m.arrival)} ${host} postfix/cleanup[2102]: ${m.queueId}: message-id=<${m.queueId}@console.example.test>`,
    `${syslogStamp(m.arrival)} ${host} postfix/qmgr[2103]: ${m.queueId}: from=<${m.sender}>, size=${m.size}, nrcpt=${new Set(m.deliveries.map((d) => d.to)).size} (queue active)`,
  ]
  let last = m.arrival
  for (const d of m.deliveries) {
    const delay = d.delayMs / 1000
    const dsn = d.status === 'sent' ? '2.0.0' : d.status === 'deferred' ? '4.7.1' : '5.1.1'
    const said = d.status === 'sent' ? `(${d.reply})` : `(host relay.example.test[192.0.2.10] said: ${d.reply} (in reply to RCPT TO command))`
    lines.push(`${syslogStamp(m.arrival + d.delayMs)} ${host} postfix/smtp[2104]: ${m.queueId}: to=<${d.to}>, relay=${relay}, delay=${delay}, delays=0/0/0/${delay}, dsn=${dsn}, status=${d.status} ${said}`)
    last = Math.max(last, m.arrival + d.delayMs)
  }
  lines.push(`${syslogStamp(last)} ${host} postfix/qmgr[2103]: ${m.queueId}: removed`)
  return lines
}
