import { afterEach, describe, expect, it } from 'vitest'
import type { DkimKeyChoice } from '../../../src/shared/dkim.ts'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp } from '../../helpers/smtp.ts'
import { startDns } from '../../helpers/dns.ts'
import { verifyDkim } from '../../helpers/dkim.ts'

// Messages are signed at submit: the queue holds the signed bytes, and what a
// real SMTP server receives passes an independent verifier (mailauth) that
// reads the selector's TXT record from a real DNS server on loopback.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** An engine relaying to a loopback SMTP server, with DKIM on and a key generated through the API; delivery waits for start(). */
async function signingEngine(algorithm: DkimKeyChoice) {
  const server = await startSmtp({ tls: 'none' })
  cleanups.push(() => server.close())
  const engine: CoreEngine = await engineWith({ relayHost: '127.0.0.1', relayPort: server.port }, { startWorker: false })
  cleanups.push(async () => {
    await engine.close()
    removeDir(engine.dataDir)
  })
  const { keyId } = unwrap(await engine.call('dkim.generateKey', { algorithm }))
  const view = unwrap(
    await engine.call('settings.update', {
      settings: { ...engine.settings.get(), dkimEnabled: true, dkimSelector: 'mail2025', dkimDomain: '' },
      dkimKey: { generated: keyId },
    }),
  )
  const record = view.dkim.record!
  const dns = await startDns({ [record.name]: { TXT: [record.value] } })
  cleanups.push(() => dns.close())
  return { engine, server, dns, record }
}

describe('DKIM signing at submit', () => {
  for (const [algorithm, a] of [['rsa-2048', 'rsa-sha256'], ['ed25519', 'ed25519-sha256']] as const) {
    it(`a test email signed with ${algorithm} is queued signed, and what the relay receives verifies against the published record`, async () => {
      const { engine, server, dns, record } = await signingEngine(algorithm)
      expect(record.name).toBe('mail2025._domainkey.example.test')

      const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
      const queued = unwrap(await engine.call('queue.source', { queueId })).source
      expect(queued).toMatch(/^DKIM-Signature: /)
      const [inQueue] = await verifyDkim(queued, dns.server)
      expect(inQueue).toMatchObject({ result: 'pass', domain: 'example.test', selector: 'mail2025', algorithm: a })

      engine.worker.start()
      await waitFor(() => server.received.length === 1 && engine.queueView.count() === 0, 'the test email delivered')
      const received = server.received[0]!.raw
      const verdicts = await verifyDkim(received, dns.server)
      expect(verdicts).toHaveLength(1)
      expect(verdicts[0]).toMatchObject({ result: 'pass', domain: 'example.test', selector: 'mail2025', algorithm: a })
      expect(verdicts[0]!.signedFields).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id']))
      // Sent as queued: the signature was made once, at submit.
      expect(received.slice(0, received.indexOf('\r\nFrom:'))).toBe(queued.slice(0, queued.indexOf('\r\nFrom:')))

      // The verifier is not a yes-machine: a Subject changed on the way breaks the signature.
      const tampered = received.replace(/^Subject: .*$/m, 'Subject: Invoice overdue')
      expect((await verifyDkim(tampered, dns.server))[0]!.result).toBe('fail')
    })
  }

  it('with another key published under the selector the signature does not verify, and with DKIM off nothing is signed', async () => {
    const { engine, dns, record } = await signingEngine('ed25519')
    // Another key under the same name: what a receiver sees when the record was not updated after a new key.
    const { key: other } = unwrap(await engine.call('dkim.generateKey', { algorithm: 'ed25519' }))
    const stale = await startDns({ [record.name]: { TXT: [`v=DKIM1; k=ed25519; p=${other.publicKey}`] } })
    cleanups.push(() => stale.close())
    const { queueId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    const queued = unwrap(await engine.call('queue.source', { queueId })).source
    expect((await verifyDkim(queued, dns.server))[0]!.result).toBe('pass')
    expect((await verifyDkim(queued, stale.server))[0]!.result).toBe('fail')

    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), dkimEnabled: false } }))
    const { queueId: unsignedId } = unwrap(await engine.call('mail.sendTest', { to: 'admin@example.net' }))
    expect(unwrap(await engine.call('queue.source', { queueId: unsignedId })).source).not.toContain('DKIM-Signature')
  })
})
