import { describe, expect, it } from 'vitest'
import { LineSplitter, parseQueueLine } from '../../../src/main/postfix/queue/postqueue-json.ts'

// Lines as Postfix 3.7's `postqueue -j` printed them for a private instance
// whose relay was a closed port (smtp-source into its smtpd).
const DEFERRED =
  '{"queue_name": "deferred", "queue_id": "D5B1546E350", "arrival_time": 1795981610, "message_size": 347, "forced_expire": false, "sender": "a@x.test", "recipients": [{"address": "b@y.test", "delay_reason": "connect to 127.0.0.1[127.0.0.1]:42205: Connection refused"}]}'
const HELD = '{"queue_name": "hold", "queue_id": "D726F46E12C", "arrival_time": 1795981610, "message_size": 347, "forced_expire": false, "sender": "", "recipients": [{"address": "ü@y.test"}]}'

describe('postqueue -j', () => {
  it('reads a message in the Mail Queue’s words: state, arrival in ms, the reason of each recipient', () => {
    expect(parseQueueLine(DEFERRED)).toEqual({
      queueId: 'D5B1546E350',
      state: 'deferred',
      queueName: 'deferred',
      arrivalAt: 1795981610_000,
      size: 347,
      sender: 'a@x.test',
      recipients: [{ address: 'b@y.test', reason: 'connect to 127.0.0.1[127.0.0.1]:42205: Connection refused' }],
    })
    expect(parseQueueLine(HELD)).toMatchObject({ state: 'hold', sender: '', recipients: [{ address: 'ü@y.test', reason: null }] })
    for (const [queue, state] of [['incoming', 'queued'], ['maildrop', 'queued'], ['active', 'active']]) {
      expect(parseQueueLine(DEFERRED.replace('"deferred"', `"${queue}"`))?.state).toBe(state)
    }
    expect(parseQueueLine('')).toBeNull()
    expect(() => parseQueueLine('postqueue: fatal: nope')).toThrow(/not JSON/)
  })

  it('keeps lines and characters whole across chunks cut anywhere', () => {
    const bytes = Buffer.from(`${DEFERRED}\n${HELD}\n${DEFERRED}`)
    for (const cut of [1, 7, DEFERRED.length, DEFERRED.length + 1, bytes.indexOf(Buffer.from('ü')) + 1]) {
      const s = new LineSplitter()
      const lines = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.end()]
      expect(lines).toEqual([DEFERRED, HELD, DEFERRED])
    }
  })
})
