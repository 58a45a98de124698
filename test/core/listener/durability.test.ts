import { fork, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { startSmtp } from '../../helpers/smtp.ts'

// Every 250 local submission gives is a promise that the message is on disk:
// the engine is killed with SIGKILL in the middle of a burst from Postfix's
// smtp-source, and every message that got its 250 is delivered after restart.

const SMTP_SOURCE = '/usr/sbin/smtp-source'
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe('local submission durability', () => {
  it('delivers after a SIGKILL every message that got a 250 during a burst from smtp-source', async () => {
    const relay = await startSmtp({ tls: 'none' })
    cleanups.push(() => relay.close())
    const port = await freePort()
    // Settings saved by an engine that is closed again; the child reads them.
    const setup = await engineWith({ relayHost: '127.0.0.1', relayPort: relay.port })
    const dataDir = setup.dataDir
    cleanups.push(() => removeDir(dataDir))
    unwrap(await setup.call('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: relay.port, listenEnabled: true, listenPort: port }) }))
    await setup.close()

    const child = fork(join(import.meta.dirname, '..', '..', 'helpers', 'listener-child.ts'), [dataDir], { stdio: 'ignore' })
    cleanups.push(() => void child.kill('SIGKILL'))
    const ready = await new Promise<{ listener: { state: string } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child engine did not start')), 20_000)
      child.once('message', (m: { listener: { state: string } }) => {
        clearTimeout(timer)
        resolve(m)
      })
    })
    expect(ready.listener.state).toBe('listening')

    // 8 sessions, up to 5,000 messages; -v prints every reply, so each 250's queue id is known.
    const source = spawn(SMTP_SOURCE, ['-v', '-s', '8', '-m', '5000', '-l', '2048', '-f', 'cron@example.test', '-t', 'ops@example.net', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    cleanups.push(() => void source.kill('SIGKILL'))
    const accepted = new Set<string>()
    let tail = ''
    source.stderr.setEncoding('utf8')
    source.stderr.on('data', (chunk: string) => {
      const text = tail + chunk
      const lines = text.split('\n')
      tail = lines.pop()!
      for (const line of lines) {
        const m = /<<< 250 2\.0\.0 Ok: queued as ([0-9A-F]{12})/.exec(line)
        if (m) accepted.add(m[1]!)
      }
      // Killed mid-burst: hundreds accepted, more in flight.
      if (accepted.size >= 300 && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    await waitFor(() => child.signalCode === 'SIGKILL', 'the child engine to be killed mid-burst', 60_000)
    await new Promise((resolve) => (source.exitCode !== null || source.signalCode !== null ? resolve(null) : source.once('exit', resolve)))
    const promised = [...accepted]
    expect(promised.length).toBeGreaterThanOrEqual(300)
    expect(promised.length).toBeLessThan(5000)

    // Restarted with delivery on: each message that got a 250 reaches the relay.
    const engine: CoreEngine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => engine.close())
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain after the restart', 60_000)
    const sent = new Set(
      (engine.db.prepare("SELECT queue_id FROM mail_log WHERE status = 'sent'").all() as { queue_id: string }[]).map((r) => r.queue_id),
    )
    expect(promised.filter((id) => !sent.has(id))).toEqual([])
    expect(relay.received.length).toBe(sent.size)
  }, 120_000)
})
