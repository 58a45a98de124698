import { execFile, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { selfSigned } from '../../../src/main/core/listener/certificate.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { engineWith, removeDir, tempDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Local submission with the clients admins point at it, beyond swaks,
// smtp-source and nodemailer (listener.test.ts): msmtp, configured with the
// very lines the README gives, and Python's smtplib, each plain and with
// AUTH over STARTTLS. The relay is a real smtp-server on loopback.

const run = promisify(execFile)
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
const MSMTP = has('msmtp', ['--version'])
const PYTHON = has('python3', ['-c', 'import smtplib, ssl'])

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup(listen: Partial<SettingsFields>, password?: string): Promise<{ smtp: TestSmtp; engine: CoreEngine; port: number }> {
  const smtp = await startSmtp({ tls: 'none' })
  cleanups.push(() => smtp.close())
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port })
  cleanups.push(() => removeDir(engine.dataDir))
  cleanups.push(() => engine.close())
  const port = await freePort()
  unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), listenEnabled: true, listenPort: port, ...listen }, ...(password ? { listenPassword: password } : {}) }))
  await waitFor(() => engine.status().listener?.state === 'listening', 'the listener to listen')
  return { smtp, engine, port }
}

/** What the README's Local submission section gives msmtp: the file, the lines that replace its last two for AUTH with STARTTLS, the one-line command. */
function readmeMsmtp(): { file: string[]; secured: string[]; oneLine: string[] } {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8')
  const file = /this `~\/\.msmtprc`[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split('\n')
  const sentence = /the last two lines become\s+([\s\S]*?):\s/.exec(readme)?.[1]
  const secured = sentence ? [...sentence.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) : undefined
  const oneLine = /`(msmtp --host=[^`<]*)< message\.txt`/.exec(readme)?.[1]?.trim().split(/\s+/)
  if (!file || !secured?.length || !oneLine) throw new Error('the README no longer gives the msmtp configuration this test runs')
  return { file, secured, oneLine }
}

/** Runs msmtp with these arguments, the message on its standard input. */
function msmtp(args: string[], message: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = execFile('msmtp', args, { timeout: 20_000 }, (err, _out, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve()))
    child.stdin!.end(message)
  })
}

/** A msmtprc of these lines; msmtp refuses one holding a password that others may read. */
function rcFile(lines: string[]): string {
  const dir = tempDir('smtp-console-msmtp-')
  cleanups.push(() => removeDir(dir))
  const file = join(dir, 'msmtprc')
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  return file
}

const subjectOf = (raw: string) => /\r\nSubject: (.*)\r\n/.exec(raw)?.[1]

describe.skipIf(!MSMTP)(`msmtp as the README sets it up${MSMTP ? '' : ' (skipped: needs msmtp)'}`, () => {
  it('sends with its msmtprc, with AUTH over STARTTLS and the certificate trusted by the lines it gives, and with its one-line command', async () => {
    const { file, secured, oneLine } = readmeMsmtp()
    const withPort = (lines: string[], port: number) => lines.map((l) => (l === 'port 2525' ? `port ${port}` : l))
    const open = await setup({})
    await msmtp(['-C', rcFile(withPort(file, open.port)), 'ops@example.net'], 'Subject: disk 91% full\n\nfrom cron via msmtp\n')
    await waitFor(() => open.smtp.received.length === 1, 'the relay to get it')
    expect(open.smtp.received[0]!.from).toBe('cron@example.com')
    expect(subjectOf(open.smtp.received[0]!.raw)).toBe('disk 91% full')
    expect(open.smtp.received[0]!.raw).toContain('from cron via msmtp')

    await msmtp(oneLine.map((a) => a.replace('--port=2525', `--port=${open.port}`)).slice(1).map((a) => (a === 'you@example.com' ? 'ops@example.net' : a)), 'Subject: one line\n\nno file\n')
    await waitFor(() => open.smtp.received.length === 2, 'the relay to get the one-line one')
    expect(subjectOf(open.smtp.received[1]!.raw)).toBe('one line')

    const locked = await setup({ listenRequireAuth: true, listenUsername: 'cron', listenStarttls: true }, 'pw-msmtp-1')
    const lockedLines = (password: string) => [
      ...withPort(file, locked.port).slice(0, -2),
      ...secured.map((l) => l.replace('NAME', 'cron').replace('PASS', password).replace('DATA/', `${locked.engine.dataDir}/`)),
    ]
    await msmtp(['-C', rcFile(lockedLines('pw-msmtp-1')), 'ops@example.net'], 'Subject: backup done\n\nsigned in\n')
    await waitFor(() => locked.smtp.received.length === 1, 'the relay to get the signed-in one')
    expect(locked.smtp.received[0]!.raw).toMatch(/^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby console\.example\.test \(SMTP Console\) with ESMTPSA\r\n/)
    // A wrong password is refused, and so is a certificate other than the one trusted: nothing more reaches the relay.
    await expect(msmtp(['-C', rcFile(lockedLines('wrong')), 'ops@example.net'], 'Subject: x\n\nx\n')).rejects.toThrow(/535|authentication failed/i)
    const otherCert = join(locked.engine.dataDir, 'other-cert.pem')
    writeFileSync(otherCert, selfSigned('console.example.test').cert)
    const other = rcFile(lockedLines('pw-msmtp-1').map((l) => (l.startsWith('tls_trust_file') ? `tls_trust_file ${otherCert}` : l)))
    await expect(msmtp(['-C', other, 'ops@example.net'], 'Subject: x\n\nx\n')).rejects.toThrow(/certificate|TLS/i)
    expect(locked.smtp.received).toHaveLength(1)
  })
})

describe.skipIf(!PYTHON)(`Python's smtplib${PYTHON ? '' : ' (skipped: needs python3)'}`, () => {
  const script = `
import smtplib, ssl, sys
from email.message import EmailMessage
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = EmailMessage()
m['From'] = 'monitor@example.test'
m['To'] = 'ops@example.net'
m['Subject'] = 'check_disk CRITICAL'
m.set_content('from a Python script')
with smtplib.SMTP('127.0.0.1', port, timeout=20) as s:
    if user:
        s.starttls(context=ssl._create_unverified_context())
        s.login(user, password)
    refused = s.send_message(m)
    print(s.noop()[0], len(refused))
`
  it('sends plain, and with STARTTLS and login when AUTH is required', async () => {
    const open = await setup({})
    await run('python3', ['-c', script, String(open.port), '', ''], { timeout: 20_000 })
    await waitFor(() => open.smtp.received.length === 1, 'the relay to get it')
    expect(subjectOf(open.smtp.received[0]!.raw)).toBe('check_disk CRITICAL')

    const locked = await setup({ listenRequireAuth: true, listenUsername: 'monitor', listenStarttls: true }, 'pw-py-1')
    // Without logging in, the listener refuses the message: smtplib raises.
    await expect(run('python3', ['-c', script.replace('if user:', 'if False:'), String(locked.port), 'monitor', 'pw-py-1'], { timeout: 20_000 })).rejects.toThrow(/530/)
    await run('python3', ['-c', script, String(locked.port), 'monitor', 'pw-py-1'], { timeout: 20_000 })
    await waitFor(() => locked.smtp.received.length === 1, 'the relay to get the signed-in one')
    expect(locked.smtp.received[0]!.raw).toContain('with ESMTPSA')
    const log = unwrap(await locked.engine.call('mailLog.list', { limit: 10, status: 'received' })).items
    expect(log[0]!.reply).toMatch(/, sasl_username=monitor, /)
  })
})
