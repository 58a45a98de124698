import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { openEngine } from '../../../src/main/core/engine/engine.ts'
import { engineWith, removeDir, testSettings, unwrap, waitFor } from '../../helpers/engine.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

// A settings file that cannot be read as it was saved must never change
// where mail goes: the engine opens with delivery paused, mail queued for the
// relay stays queued (not bounced, not sent directly), the dashboard and the
// event log name the file and the fields, and a valid save resumes delivery.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Lets the worker run every turn it would take to claim due mail, without waiting on a clock. */
async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A data directory whose settings send through `smtp`, with three messages queued for it. */
async function queuedForRelay(smtp: TestSmtp): Promise<string> {
  const setup = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port }, { startWorker: false })
  const dataDir = setup.dataDir
  cleanups.push(() => removeDir(dataDir))
  await setup.submit(Array.from({ length: 3 }, (_, i) => ({ to: [`ops${i}@example.net`], subject: `Relay only ${i}`, text: 'for the relay' })))
  await setup.close()
  return dataDir
}

type Stored = { version: number; settings: Record<string, unknown>; password: unknown }

const SHAPES: [string, (stored: Stored) => string | null, RegExp, string[]][] = [
  ['null', () => 'null', /holds null instead of the settings/, []],
  ['[]', () => '[]', /holds a list instead of the settings/, []],
  ['42', () => '42', /holds the value 42 instead of the settings/, []],
  ['{"settings":null}', () => '{"settings":null}', /its settings are null/, []],
  ['{"settings":[]}', () => '{"settings":[]}', /its settings are a list/, []],
  ['{"settings":"oops"}', () => '{"settings":"oops"}', /its settings are the text "oops"/, []],
  ['an invalid Relay Host', (s) => JSON.stringify({ ...s, settings: { ...s.settings, relayHost: 'relay host!' } }), /Relay Host \(Relay Host must be a host name/, ['Relay Host']],
  ['no Relay Host', (s) => JSON.stringify({ ...s, settings: { ...s.settings, relayHost: undefined } }), /Relay Host \(missing\)/, ['Relay Host']],
  ['a Relay Port of "abc"', (s) => JSON.stringify({ ...s, settings: { ...s.settings, relayPort: 'abc' } }), /Relay Port/, ['Relay Port']],
  ['text that is not JSON', () => '{"settings": {"relayHost": "127.0.0.1",', /is not valid JSON/, []],
  ['an empty file', () => '', /it is empty/, []],
  ['no file at all, where settings were saved before', () => null, /it is missing, though settings were saved before/, []],
]

describe('a damaged settings.json with mail queued for the relay', () => {
  it.each(SHAPES)('%s: delivery stays paused, the mail stays queued, and a valid save sends it through the relay', async (_name, damage, message, fields) => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const dataDir = await queuedForRelay(smtp)
    const file = join(dataDir, 'settings.json')
    const damaged = damage(JSON.parse(readFileSync(file, 'utf8')) as Stored)
    if (damaged === null) rmSync(file)
    else writeFileSync(file, damaged)

    // The worker runs as in the app: a default must not route anything.
    const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => engine.close())
    unwrap(await engine.call('queue.flush', undefined))
    await turns()
    await engine.worker.idle()
    expect(engine.queueView.counts()).toMatchObject({ queued: 3, active: 0, deferred: 0, total: 3 })
    expect(engine.mailLog.count()).toBe(3)
    expect(engine.mailLog.count('received')).toBe(3)
    expect(smtp.received).toHaveLength(0)

    // The dashboard's status names the file and the fields; the message is the admin's, not a TypeError's.
    const status = unwrap(await engine.call('status.get', undefined))
    expect(status.settingsProblem).not.toBeNull()
    expect(status.settingsProblem!.file).toBe(file)
    expect(status.settingsProblem!.fields).toEqual(fields)
    expect(status.settingsProblem!.message).toContain(file)
    expect(status.settingsProblem!.message).toMatch(message)
    expect(status.settingsProblem!.message).toMatch(/Delivery is paused/)
    expect(status.settingsProblem!.message).not.toMatch(/Cannot use|operator|TypeError|undefined/)
    const errors = unwrap(await engine.call('events.list', { limit: 50, level: 'error' })).items
    expect(errors.map((e) => e.message)).toContain(status.settingsProblem!.message)
    expect(errors.find((e) => e.source === 'settings')!.details).toEqual({ file, fields })

    // Nothing new goes in with defaults the admin never chose, and the file is as it was.
    const test = await engine.call('mail.sendTest', { to: 'admin@example.net' })
    expect(test.ok ? null : test.error.code).toBe('storage')
    expect(engine.queueView.count()).toBe(3)
    if (damaged === null) expect(existsSync(file)).toBe(false)
    else expect(readFileSync(file, 'utf8')).toBe(damaged)

    // A valid save resumes delivery, through the relay; the damaged file is kept beside the new one.
    unwrap(await engine.call('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: smtp.port }) }))
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem).toBeNull()
    await waitFor(() => engine.queueView.count() === 0, 'the queue to drain through the relay')
    expect(smtp.received.map((r) => /^Subject: (.*)$/m.exec(r.raw)?.[1]).sort()).toEqual(['Relay only 0', 'Relay only 1', 'Relay only 2'])
    expect(engine.mailLog.count('sent')).toBe(3)
    expect(engine.mailLog.count('bounced')).toBe(0)
    const kept = readdirSync(dataDir).filter((n) => n.startsWith('settings.json.damaged-'))
    if (damaged === null) expect(kept).toEqual([])
    else {
      expect(kept).toHaveLength(1)
      expect(readFileSync(join(dataDir, kept[0]!), 'utf8')).toBe(damaged)
    }
    const infos = unwrap(await engine.call('events.list', { limit: 50, level: 'info' })).items
    expect(infos.some((e) => e.message.includes('delivery resumes'))).toBe(true)
  })

  it('a fresh data directory without a settings file is a first start, not damage', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: smtp.port })
    cleanups.push(() => removeDir(engine.dataDir))
    cleanups.push(() => engine.close())
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem).toBeNull()
    await engine.call('mail.sendTest', { to: 'admin@example.net' })
    await waitFor(() => smtp.received.length === 1, 'the test email')
  })

  it('no file, in a data directory an older version saved settings in (no mark, only its "Settings saved" events): paused, not direct', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const dataDir = await queuedForRelay(smtp)
    // As an older version left it: settings saved (and logged so), but no mark in meta.
    const db = new DatabaseSync(join(dataDir, 'queue.sqlite'))
    db.exec("DELETE FROM meta WHERE k = 'settings_saved'")
    db.close()
    rmSync(join(dataDir, 'settings.json'))

    const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => engine.close())
    unwrap(await engine.call('queue.flush', undefined))
    await turns()
    await engine.worker.idle()
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem?.message).toMatch(/it is missing, though settings were saved before/)
    expect(engine.queueView.counts()).toMatchObject({ queued: 3, total: 3 })
    expect(engine.mailLog.count('bounced')).toBe(0)
  })

  it('a From Name with a tab, which older versions saved, is read with a space and delivery goes on, with a warning', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const dataDir = await queuedForRelay(smtp)
    const file = join(dataDir, 'settings.json')
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Stored
    writeFileSync(file, JSON.stringify({ ...saved, settings: { ...saved.settings, fromName: 'Ops\tConsole' } }))

    const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => engine.close())
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem).toBeNull()
    expect(unwrap(await engine.call('settings.get', undefined)).settings.fromName).toBe('Ops Console')
    const warnings = unwrap(await engine.call('events.list', { limit: 20, level: 'warning' })).items
    expect(warnings.some((e) => /From Name in the settings file held control characters/.test(e.message))).toBe(true)
    await waitFor(() => smtp.received.length === 3, 'the queued mail through the relay')
  })

  it('orphan settings.json.tmp-* files of a save cut short are removed at start; the settings are read as saved', async () => {
    const smtp = await startSmtp({ tls: 'none' })
    cleanups.push(() => smtp.close())
    const dataDir = await queuedForRelay(smtp)
    // The names atomically gives its temporary files: <file>.tmp-<10 digits><6 hex digits>.
    const orphans = ['settings.json.tmp-1767225600a1b2c3', 'settings.json.tmp-0000000001ffffff']
    for (const name of orphans) writeFileSync(join(dataDir, name), '{"settings": {"relayHo')
    writeFileSync(join(dataDir, 'settings.json.tmp-notours'), 'kept')

    const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => engine.close())
    const left = readdirSync(dataDir).filter((n) => n.startsWith('settings.json.'))
    expect(left).toEqual(['settings.json.tmp-notours'])
    const infos = unwrap(await engine.call('events.list', { limit: 50, level: 'info' })).items
    expect(infos.some((e) => /Removed 2 unfinished settings save/.test(e.message))).toBe(true)
    expect(unwrap(await engine.call('status.get', undefined)).settingsProblem).toBeNull()
    await waitFor(() => smtp.received.length === 3, 'the queued mail through the relay')
  })
})
