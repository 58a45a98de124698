import { describe, expect, it } from 'vitest'
import type { DeliveryProgress } from '../../src/shared/types.ts'
import { createTestMailWatcher } from '../../src/main/electron/test-mail-watcher.ts'

const progress = (queueId: string, stage: DeliveryProgress['stage'], extra: Partial<DeliveryProgress> = {}): DeliveryProgress => ({
  queueId,
  stage,
  at: 1_700_000_000_000,
  detail: `${stage} ${queueId}`,
  ...extra,
})

describe('createTestMailWatcher', () => {
  it('says nothing before a test email was sent through the window', () => {
    const watcher = createTestMailWatcher()
    expect(watcher.onProgress(progress('AAAA1111', 'sent'))).toBeNull()
  })

  it('notifies once when the last test email is sent, with the recipient, relay and reply', () => {
    const watcher = createTestMailWatcher()
    watcher.observe('mail.sendTest', { ok: true, data: { queueId: 'AAAA1111', messageId: '<1@mail.example.com>' } })
    expect(watcher.onProgress(progress('AAAA1111', 'connecting'))).toBeNull()
    expect(watcher.onProgress(progress('BBBB2222', 'sent'))).toBeNull()
    const notice = watcher.onProgress(
      progress('AAAA1111', 'sent', { recipient: 'admin@example.com', relay: 'smtp.example.com[192.0.2.1]:587', reply: '250 2.0.0 Ok: queued as 4F9D2\r\nmore' }),
    )
    expect(notice).toEqual({ title: 'Test email sent', body: 'To admin@example.com via smtp.example.com[192.0.2.1]:587: 250 2.0.0 Ok: queued as 4F9D2' })
    expect(watcher.onProgress(progress('AAAA1111', 'sent'))).toBeNull()
  })

  it('notifies a bounce with the decoded cause', () => {
    const watcher = createTestMailWatcher()
    watcher.observe('mail.sendTest', { ok: true, data: { queueId: 'CCCC3333', messageId: '<2@mail.example.com>' } })
    const notice = watcher.onProgress(
      progress('CCCC3333', 'bounced', {
        recipient: 'nobody@example.net',
        reply: '554 5.7.1 Relay access denied',
        explanation: { cause: 'relay-denied', summary: 'The relay refused to pass mail on for you.', fix: 'Turn on Use SASL Authorization.' },
      }),
    )
    expect(notice).toEqual({ title: 'Test email bounced', body: 'To nobody@example.net: The relay refused to pass mail on for you.' })
  })

  it('follows only the latest test email and ignores other methods and failures', () => {
    const watcher = createTestMailWatcher()
    watcher.observe('mail.sendTest', { ok: true, data: { queueId: 'DDDD4444', messageId: '<3@x>' } })
    watcher.observe('mail.sendTest', { ok: false, error: { code: 'invalid_request', message: 'Enter the email address to send to.' } })
    watcher.observe('queue.retry', { ok: true, data: { queueId: 'EEEE5555' } as never })
    watcher.observe('mail.sendTest', { ok: true, data: { queueId: 'FFFF6666', messageId: '<4@x>' } })
    expect(watcher.onProgress(progress('DDDD4444', 'sent'))).toBeNull()
    expect(watcher.onProgress(progress('FFFF6666', 'bounced'))?.title).toBe('Test email bounced')
  })
})
