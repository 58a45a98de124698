import { randomBytes } from 'node:crypto'
import { createTransport } from 'nodemailer'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { SettingsFields } from '../../../shared/settings.ts'
import { LocalRunner } from '../runner/local.ts'
import type { PostfixTools } from '../tools.ts'
import { PostfixError } from './errors.ts'

// Send Test Email on a Postfix server: the message is composed here with the
// From Name and From Address the console keeps for it, and handed to the
// server as any of its clients would: SMTP to its own smtpd when it runs on
// this computer (the 250 names the queue id), `sendmail -t -i` over the
// runner otherwise (the log's cleanup line names it, by Message-ID).

export interface TestMail {
  raw: Buffer
  messageId: string
}

export async function composeTestMail(s: Pick<SettingsFields, 'fromName' | 'fromAddress' | 'hostname'>, to: string, subject: string | undefined, where: string, now: number): Promise<TestMail> {
  const messageId = `<${now.toString(36)}.${randomBytes(8).toString('hex')}@${s.hostname}>`
  const text = [
    'This is a test message from SMTP Console.',
    '',
    `Sent by: the Postfix server on ${where}`,
    `Time: ${new Date(now).toISOString()}`,
    '',
    'If you received it, outgoing mail works.',
  ].join('\n')
  const composer = new MailComposer({
    from: s.fromName ? { name: s.fromName, address: s.fromAddress } : s.fromAddress,
    to,
    subject: subject ?? `SMTP Console test message from ${s.hostname}`,
    text,
    messageId,
    date: new Date(now),
    headers: { 'X-Mailer': 'SMTP Console' },
  })
  return { raw: await composer.compile().build(), messageId }
}

/** Where the instance's smtpd listens, from `postconf -M`: its `smtp` service (port 25) or a `host:port` one. */
export async function smtpdAddress(tools: PostfixTools): Promise<{ host: string; port: number } | null> {
  const services = await tools.text('postconf', ['-M'])
  for (const line of services.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 8 || f[1] !== 'inet' || f[7] !== 'smtpd') continue
    // Submission ports want a login; the plain SMTP service takes mail from the machine itself.
    if (f.slice(8).some((a) => /smtpd_tls_wrappermode=yes|smtpd_sasl_auth_enable=yes|smtpd_tls_security_level=encrypt/.test(a))) continue
    const name = f[0]!
    const colon = name.lastIndexOf(':')
    const host = colon > 0 ? name.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1'
    const service = colon >= 0 ? name.slice(colon + 1) : name
    const port = service === 'smtp' ? 25 : /^\d+$/.test(service) ? Number(service) : null
    if (port !== null) return { host, port }
  }
  return null
}

const QUEUED_AS = /queued as ([0-9A-Za-z]+)/

/** Hands the message to the instance; the queue id Postfix gave it, or null when only the log can tell. */
export async function submitTestMail(tools: PostfixTools, mail: TestMail, from: string, to: string): Promise<string | null> {
  const smtpd = tools.runner instanceof LocalRunner ? await smtpdAddress(tools) : null
  if (smtpd) {
    const transport = createTransport({ host: smtpd.host, port: smtpd.port, secure: false, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000, tls: { rejectUnauthorized: false } })
    try {
      const info = (await transport.sendMail({ envelope: { from, to: [to] }, raw: mail.raw })) as { response?: string }
      return QUEUED_AS.exec(info.response ?? '')?.[1] ?? null
    } catch (err) {
      throw new PostfixError('conflict', `The Postfix server on ${tools.runner.where} did not take the test email on ${smtpd.host}:${smtpd.port}: ${(err as Error).message}`)
    } finally {
      transport.close()
    }
  }
  const r = await tools.run('sendmail', ['-t', '-i', '-f', from], { input: mail.raw })
  if (r.code !== 0) throw new PostfixError('conflict', `sendmail on ${tools.runner.where} did not take the test email: ${r.stderr.trim() || `exit code ${String(r.code)}`}`)
  return null
}
