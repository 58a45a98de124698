import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startDns, type TestDns } from '../../helpers/dns.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Direct delivery (Relay Host blank) through a real DNS server and real SMTP
// servers on loopback. The mail hosts all listen on 127.0.0.1; 127.0.0.2 is a
// loopback address where nothing listens, an unreachable MX.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup(smtpOptions: Parameters<typeof startSmtp>[0], settings: Parameters<typeof engineWith>[0] = {}): Promise<{ engine: CoreEngine; smtp: TestSmtp; dns: TestDns }> {
  const smtp = await startSmtp(smtpOptions)
  cleanups.push(() => smtp.close())
  const dns = await startDns({
    'two-mx.test': { MX: [{ exchange: 'mx-down.two-mx.test', priority: 10 }, { exchange: 'mx-up.two-mx.test', priority: 20 }] },
    'mx-down.two-mx.test': { A: ['127.0.0.2'] },
    'mx-up.two-mx.test': { A: ['127.0.0.1'] },
    'a-only.test': { A: ['127.0.0.1'] },
    'null-mx.test': { MX: [{ exchange: '', priority: 0 }] },
  })
  cleanups.push(() => dns.close())
  const engine = await engineWith({ relayHost: '', relayPort: null, ...settings }, { dnsServers: [dns.server], directPort: smtp.port })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  return { engine, smtp, dns }
}

const done = (engine: CoreEngine, queueId: string) =>
  waitFor(() => engine.mailLog.forQueueId(queueId).some((e) => e.status !== 'received') && engine.worker.activeCount === 0, `an attempt on ${queueId}`)

describe('direct delivery', () => {
  it('tries the MX hosts by preference and uses the next when the first cannot be reached', async () => {
    const { engine, smtp } = await setup({ tls: 'starttls' })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'someone@two-mx.test' }))
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain')
    expect(smtp.received).toHaveLength(1)
    expect(smtp.received[0]!.to).toEqual(['someone@two-mx.test'])
    // Opportunistic STARTTLS: offered, so used, even with a certificate nobody vouches for.
    expect(smtp.received[0]!.secure).toBe(true)
    const sent = engine.mailLog.forQueueId(queueId).find((e) => e.status === 'sent')!
    expect(sent.relay).toBe(`mx-up.two-mx.test[127.0.0.1]:${smtp.port}`)
    expect(sent.tls).toMatch(/^TLSv1\.[23]$/)
  })

  it('reaches a domain without MX records at its A address', async () => {
    const { engine, smtp } = await setup({ tls: 'none' })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'ops@a-only.test' }))
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain')
    expect(smtp.received.map((r) => r.to)).toEqual([['ops@a-only.test']])
    const sent = engine.mailLog.forQueueId(queueId).find((e) => e.status === 'sent')!
    expect(sent.relay).toBe(`a-only.test[127.0.0.1]:${smtp.port}`)
    expect(sent.tls).toBeNull()
  })

  it('groups recipients by domain: one message, two domains, both reached', async () => {
    const { engine, smtp } = await setup({ tls: 'none' })
    await engine.submit([{ to: ['a@a-only.test', 'b@two-mx.test', 'c@a-only.test'], subject: 'two domains', text: 'x' }])
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain')
    expect(smtp.received.map((r) => r.to.sort().join(',')).sort()).toEqual(['a@a-only.test,c@a-only.test', 'b@two-mx.test'])
  })

  it('bounces mail for a domain that does not exist, and for a null MX', async () => {
    const { engine, smtp } = await setup({ tls: 'none' })
    const [first, second] = await engine.submit([
      { to: ['x@no-such-domain.test'], subject: 'nx', text: 'x' },
      { to: ['y@null-mx.test'], subject: 'null mx', text: 'x' },
    ])
    await done(engine, first!.queueId)
    await done(engine, second!.queueId)
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain')
    expect(smtp.received).toHaveLength(0)
    const nx = engine.mailLog.forQueueId(first!.queueId).find((e) => e.status !== 'received')!
    expect(nx.status).toBe('bounced')
    expect(nx.dsn).toMatch(/^5\./)
    const nullMx = engine.mailLog.forQueueId(second!.queueId).find((e) => e.status !== 'received')!
    expect(nullMx.status).toBe('bounced')
  })

  it('with Use TLS on, refuses to send in clear to a host without STARTTLS', async () => {
    const { engine, smtp } = await setup({ tls: 'none' }, { useTls: true })
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'ops@a-only.test' }))
    await done(engine, queueId)
    expect(smtp.received).toHaveLength(0)
    const entry = unwrap(await engine.call('queue.get', { queueId }))
    expect(entry.state).toBe('deferred')
    expect(entry.explanation?.summary).toMatch(/STARTTLS/)
  })
})
