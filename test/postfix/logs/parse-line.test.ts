import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { journalLines } from '../../../src/main/postfix/logs/log-reader.ts'
import { classify, parseLine, type PostfixRecord } from '../../../src/main/postfix/logs/parse-line.ts'

// The parser on lines a real Postfix 3.7 wrote (fixtures/capture.ts says how they were made).

const FIXTURE = readFileSync(join(import.meta.dirname, 'fixtures', 'postfix-3.7.log'), 'utf8').split('\n').filter(Boolean)
/** The capture was made on 29 November; read a few days later. */
const NOW = new Date(2026, 11, 2, 12, 0).getTime()

const records = (lines: string[]): PostfixRecord[] =>
  lines.map((l) => parseLine(l, NOW)).flatMap((l) => (l ? [classify(l)] : [])).filter((r): r is PostfixRecord => r !== null)
const of = <K extends PostfixRecord['kind']>(rs: PostfixRecord[], kind: K) => rs.filter((r): r is Extract<PostfixRecord, { kind: K }> => r.kind === kind)

describe('reading the lines of a real Postfix', () => {
  const all = records(FIXTURE)

  it('reads every line of the capture as Postfix’s, with its time and program', () => {
    const lines = FIXTURE.map((l) => parseLine(l, NOW))
    expect(lines.every((l) => l !== null)).toBe(true)
    const first = lines[0]!
    expect(first.program).toBe('postfix-script')
    expect(new Date(first.at).getFullYear()).toBe(2026)
    expect(new Date(first.at).getMonth()).toBe(10)
    expect(new Date(first.at).getDate()).toBe(29)
  })

  it('finds the messages received from smtpd and pickup, and qmgr’s sender and size', () => {
    expect(of(all, 'client')).toHaveLength(5)
    expect(of(all, 'client')[0]!.client).toBe('unknown[127.0.0.1]')
    expect(of(all, 'pickup')).toEqual([expect.objectContaining({ sender: 'local@origin.test' })])
    const queued = of(all, 'queued')
    // Five through smtpd, one through pickup, two notices, and the expired message once more after the reload.
    expect(queued).toHaveLength(9)
    // The domain in lower case, as pflogsumm counts senders; the local part as given.
    expect(queued[0]).toMatchObject({ sender: 'Sender@origin.test', size: 416, nrcpt: 2 })
    expect(queued.filter((q) => q.sender === '')).toHaveLength(2)
    expect(of(all, 'message-id')).toHaveLength(8)
  })

  it('reads each delivery’s recipient, relay, delay, dsn, status and reply', () => {
    const d = of(all, 'delivery')
    expect(d.filter((x) => x.status === 'sent').map((x) => x.recipient)).toEqual(['a@sink.test', 'b@sink.test', 'p@sink.test', 'sender@origin.test', 'sender@origin.test'])
    expect(d.filter((x) => x.status === 'deferred')).toHaveLength(4)
    const bounced = d.filter((x) => x.status === 'bounced')
    expect(bounced).toHaveLength(1)
    expect(bounced[0]).toMatchObject({ recipient: 'r@reject.test', dsn: '5.1.1', delayMs: expect.any(Number) as number })
    expect(bounced[0]!.reply).toMatch(/^host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 <r@reject\.test>: Recipient address rejected: User unknown \(in reply to RCPT TO command\)$/)
    const deferred = d.find((x) => x.status === 'deferred')!
    expect(deferred.relay).toBeNull()
    expect(deferred.reply).toMatch(/^connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused$/)
    expect(d.find((x) => x.status === 'sent')!.relay).toMatch(/^127\.0\.0\.1\[127\.0\.0\.1\]:\d+$/)
  })

  it('reads what postsuper, qmgr and bounce did to messages', () => {
    expect(of(all, 'held')).toHaveLength(2)
    expect(of(all, 'released')).toHaveLength(1)
    expect(of(all, 'removed').filter((r) => r.byAdmin)).toHaveLength(1)
    expect(of(all, 'removed').filter((r) => !r.byAdmin)).toHaveLength(6)
    expect(of(all, 'expired')).toEqual([expect.objectContaining({ sender: 'sender@origin.test' })])
    expect(of(all, 'notice')).toHaveLength(2)
  })

  it('reads warnings, errors and fatal lines as events with their level', () => {
    const events = of(all, 'event')
    expect(events.map((e) => [e.level, e.severity])).toEqual([
      ['warning', 'warning'],
      ['error', 'error'],
      ['error', 'fatal'],
    ])
    expect(events[0]!.message).toBe('non-SMTP command from unknown[127.0.0.1]: GET / HTTP/1.1')
  })

  it('reads the same lines with RFC 3339 stamps and through syslog names and submission services', () => {
    const line = 'postfix postfix/smtp[20776]: A2FCA46E43F: to=<a@sink.test>, relay=127.0.0.1[127.0.0.1]:39079, delay=0.44, delays=0.01/0.01/0.41/0.01, dsn=2.0.0, status=sent (250 OK: message queued)'
    const stamps = ['2026-11-29T19:47:57.123456+00:00', '2026-11-29T19:47:57+0000', '2026-11-29T19:47:57Z']
    for (const s of stamps) {
      const l = parseLine(`${s} ${line}`, NOW)
      expect(l?.at, s).toBe(Date.UTC(2026, 10, 29, 19, 47, 57, s.includes('.123') ? 123 : 0))
      expect(classify(l!)).toMatchObject({ kind: 'delivery', status: 'sent', recipient: 'a@sink.test' })
    }
    const sub = parseLine('Nov 29 19:47:56 mx postfix/submission/smtpd[20773]: A2FCA46E43F: client=laptop[192.0.2.7]', NOW)
    expect(sub && classify(sub)).toEqual({ kind: 'client', queueId: 'A2FCA46E43F', client: 'laptop[192.0.2.7]' })
    const out = parseLine('Nov 29 19:47:56 mx postfix-out/smtp[1]: 3Lw4xd3F5Sz9vwS: to=<x@y.test>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to y.test[192.0.2.1]:25: Connection timed out)', NOW)
    expect(out && classify(out)).toMatchObject({ kind: 'delivery', queueId: '3Lw4xd3F5Sz9vwS', status: 'deferred' })
  })

  it('gives a stamp without a year the latest year that is not ahead of the clock', () => {
    const jan = new Date(2027, 0, 1, 0, 5).getTime()
    expect(new Date(parseLine('Dec 31 23:59:59 mx postfix/qmgr[1]: ABCDEF123: removed', jan)!.at).getFullYear()).toBe(2026)
    expect(new Date(parseLine('Jan  1 00:04:00 mx postfix/qmgr[1]: ABCDEF123: removed', jan)!.at).getFullYear()).toBe(2027)
    expect(new Date(parseLine('Nov 29 2024 19:47:56 mx postfix/qmgr[1]: ABCDEF123: removed', jan)!.at).getFullYear()).toBe(2024)
  })

  it('leaves other programs’ lines and what it cannot read', () => {
    expect(parseLine('Nov 29 19:47:56 mx dovecot: imap-login: Login: user=<a>', NOW)).toBeNull()
    expect(parseLine('Nov 29 19:47:56 mx opendkim[5]: A2FCA46E43F: DKIM-Signature field added', NOW)).toBeNull()
    expect(parseLine('not a log line', NOW)).toBeNull()
    const forwarded = parseLine('Nov 29 19:47:56 mx postfix/local[5]: A2FCA46E43F: to=<a@x.test>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (forwarded as 1234567ABC)', NOW)!
    expect(classify(forwarded)).toBeNull()
  })
})

describe('journalctl’s output', () => {
  it('gives its lines and the cursor --show-cursor prints after them', () => {
    const out = [
      '2026-11-29T19:47:56.123456+0000 mx postfix/smtpd[20773]: A2FCA46E43F: client=unknown[127.0.0.1]',
      '2026-11-29T19:47:56.223456+0000 mx postfix/qmgr[20770]: A2FCA46E43F: removed',
      '-- cursor: s=3f1c;i=1a2;b=9e;m=5d;t=5f;x=77',
      '',
    ].join('\n')
    const { lines, cursor } = journalLines(out)
    expect(cursor).toBe('s=3f1c;i=1a2;b=9e;m=5d;t=5f;x=77')
    expect(lines.map((l) => classify(parseLine(l, NOW)!)?.kind)).toEqual(['client', 'removed'])
    expect(journalLines('-- No entries --\n')).toEqual({ lines: [], cursor: null })
  })
})
