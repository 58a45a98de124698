import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { createTransport } from 'nodemailer'
import { afterEach, describe, expect, it } from 'vitest'
import type { CoreEngine } from '../../../src/main/core/engine/engine.ts'
import type { EngineOptions } from '../../../src/main/core/engine/engine-types.ts'
import { ListenerThread, type ThreadParts } from '../../../src/main/core/listener/thread-client.ts'
import { engineWith, removeDir, tempDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { freePort } from '../../helpers/postfix.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// Where local submission's sessions run. The listener's own thread is the
// rule; when it cannot start, or dies, the sessions run in the engine's
// thread and the event log says so, and mail is still taken and delivered.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function relay(): Promise<TestSmtp> {
  const smtp = await startSmtp({ tls: 'none' })
  cleanups.push(() => smtp.close())
  return smtp
}

async function listening(relayPort: number, options: Partial<EngineOptions>): Promise<CoreEngine> {
  const engine = await engineWith({ relayHost: '127.0.0.1', relayPort }, options)
  cleanups.push(() => removeDir(engine.dataDir))
  cleanups.push(() => engine.close())
  unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), listenEnabled: true, listenPort: await freePort() } }))
  await waitFor(() => engine.status().listener?.state === 'listening', 'the listener to listen')
  return engine
}

async function send(engine: CoreEngine, subject: string): Promise<string> {
  const client = createTransport({ host: '127.0.0.1', port: engine.settings.get().listenPort, secure: false, ignoreTLS: true })
  const info = await client.sendMail({ from: 'cron@example.test', to: 'ops@example.net', subject, text: 'hello' })
  client.close()
  return /queued as ([0-9A-F]{12})/.exec(info.response)![1]!
}

async function events(engine: CoreEngine): Promise<{ level: string; message: string }[]> {
  return unwrap(await engine.call('events.list', { limit: 50 })).items
}

describe("local submission's thread", () => {
  it('runs the sessions there, and leaves no thread behind when the engine closes', async () => {
    const smtp = await relay()
    const engine = await listening(smtp.port, {})
    expect(engine.listener.runsIn).toBe('thread')
    const queueId = await send(engine, 'from the thread')
    await waitFor(() => smtp.received.length === 1, 'the relay to get it')
    expect(smtp.received[0]!.raw).toContain('Subject: from the thread')
    expect(engine.status().listener).toMatchObject({ state: 'listening', receivedToday: 1 })
    const received = unwrap(await engine.call('mailLog.list', { limit: 10, text: queueId })).items.find((r) => r.status === 'received')
    expect(received?.reply).toMatch(/^client=\[127\.0\.0\.1\]:\d+, helo=/)
    await engine.close()
    expect(engine.listener.runsIn).toBe('nowhere')
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker')).toEqual([])
  })

  it('ends the thread when Local submission is turned off, and starts a new one when it is turned on', async () => {
    const smtp = await relay()
    const engine = await listening(smtp.port, {})
    expect(engine.listener.runsIn).toBe('thread')
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), listenEnabled: false } }))
    expect(engine.status().listener).toEqual({ state: 'off' })
    expect(engine.listener.runsIn).toBe('nowhere')
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker')).toEqual([])
    expect((await events(engine)).some((e) => e.message === 'Local submission stopped.')).toBe(true)
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), listenEnabled: true } }))
    await waitFor(() => engine.status().listener?.state === 'listening', 'the listener to listen again')
    expect(engine.listener.runsIn).toBe('thread')
    await send(engine, 'after turning it on again')
    await waitFor(() => smtp.received.length === 1, 'the relay to get it')
  })

  it('runs the sessions in the engine when the thread cannot start, and says why', async () => {
    const smtp = await relay()
    const engine = await listening(smtp.port, { listener: { thread: pathToFileURL(join(import.meta.dirname, 'no-such-listener-thread.js')) } })
    expect(engine.listener.runsIn).toBe('engine')
    const said = await events(engine)
    expect(said.find((e) => e.message.includes('its thread could not start'))).toMatchObject({ level: 'warning' })
    await send(engine, 'without the thread')
    await waitFor(() => smtp.received.length === 1, 'the relay to get it')
  })

  it('listens again in the engine when the thread dies, says so, and takes mail again', async () => {
    const smtp = await relay()
    const engine = await listening(smtp.port, { listener: { thread: pathToFileURL(join(import.meta.dirname, '..', '..', 'helpers', 'faulty-listener-thread.ts')) } })
    expect(engine.listener.runsIn).toBe('thread')
    await send(engine, 'before the fault')
    unwrap(await engine.call('settings.update', { settings: { ...engine.settings.get(), hostname: 'crash.example.test' } }))
    await waitFor(() => engine.listener.runsIn === 'engine' && engine.status().listener?.state === 'listening', 'the listener back in the engine')
    const died = (await events(engine)).find((e) => e.message.startsWith("Local submission's thread stopped"))
    expect(died).toMatchObject({ level: 'error' })
    expect(died!.message).toContain('a fault on the listener thread')
    await send(engine, 'after the fault')
    await waitFor(() => smtp.received.length === 2, 'the relay to get both')
    expect(smtp.received.map((m) => /Subject: (.*)\r\n/.exec(m.raw)?.[1])).toEqual(['before the fault', 'after the fault'])
  })
})

describe("the engine's end of the listener's thread", () => {
  const faulty = pathToFileURL(join(import.meta.dirname, '..', '..', 'helpers', 'faulty-listener-thread.ts'))

  function parts() {
    const said: { level: string; message: string }[] = []
    const died: string[] = []
    const thread: ThreadParts = {
      accept: () => Promise.reject(new Error('nothing is sent in this test')),
      password: () => Promise.resolve(null),
      refusal: (err) => ({ message: String(err), trouble: null }),
      changed: () => undefined,
      logEvent: (level, message) => said.push({ level, message }),
      died: (reason) => died.push(reason),
    }
    return { thread, said, died }
  }

  const settings = async (hostname: string) => ({ ...testSettings({ hostname }), listenEnabled: true, listenPort: await freePort() })

  it('ends a thread that stops answering, and the engine is told it died', async () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const { thread: p, said, died } = parts()
    const thread = await ListenerThread.start(faulty, { dataDir: dir }, p, 500)
    await thread.apply(await settings('stuck.example.test'))
    expect(said.find((s) => s.message.includes('did not answer within 0.5 s'))).toMatchObject({ level: 'error' })
    await waitFor(() => died.length === 1, 'the engine to be told')
    expect(died[0]).toMatch(/exited with code/)
    // Ended: a stop asks nothing of it and returns at once.
    await thread.stop()
  })

  it('says so when the thread fails as it stops, and stops all the same', async () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const { thread: p, said, died } = parts()
    const thread = await ListenerThread.start(faulty, { dataDir: dir }, p, 5_000)
    await thread.apply(await settings('crash-on-stop.example.test'))
    await thread.stop()
    await waitFor(() => said.some((s) => s.message.startsWith("Local submission's thread failed as it stopped")), 'the warning')
    expect(said.find((s) => s.message.startsWith("Local submission's thread failed as it stopped"))).toMatchObject({ level: 'warning' })
    expect(said.at(-1)!.message).toContain('a fault as the thread stopped')
    // A stop is not a death: the engine does not start the listener again.
    expect(died).toEqual([])
  })
})
