import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTransport } from 'nodemailer'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../src/shared/api.ts'
import { API_METHODS } from '../../src/shared/methods.ts'
import type { SettingsView } from '../../src/shared/settings.ts'
import { RENDERER_PAGE_URL } from '../../src/main/electron/renderer-scheme.ts'
import { testSettings, waitFor } from '../helpers/engine.ts'
import { freePort } from '../helpers/postfix.ts'
import { startSmtp } from '../helpers/smtp.ts'
import { lastEvent, saslSettings, startSaslRelay, useShells, type BootOptions, type BootedShell } from '../helpers/electron-boot.ts'

// The built desktop shell (out/main/index.js) booted under the stand-in for
// Electron: what a machine without Electron's binary can prove of it.

const shells = useShells()
const boot = (options: Partial<BootOptions> = {}): BootedShell => shells.boot(options)

describe('the built shell under the stand-in', () => {
  it('reaches ready, opens one sandboxed window, registers one handler per method, sends a SASL test mail and quits cleanly', async () => {
    const server = await startSaslRelay(shells)
    const shell = boot()
    const window = await shell.window()
    await shell.next('show')

    const windows = shell.reports.filter((r) => r.type === 'window')
    expect(windows).toHaveLength(1)
    expect(windows[0]!.show).toBe(false)
    expect(windows[0]!.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, preload: join(shells.main.root, 'out/preload/preload.cjs') })
    expect(window.url).toBe(RENDERER_PAGE_URL)
    expect(shell.reports.map((r) => r.type)).toContain('enable-sandbox')

    const channels = await shell.command<string[]>('handlers')
    expect([...channels].sort()).toEqual([...API_METHODS].sort())

    const saved = await shell.invoke<Result<unknown>>('settings.update', { settings: saslSettings(server), password: 's3cret pass' })
    expect(saved.ok).toBe(true)
    const sent = await shell.invoke<Result<{ queueId: string }>>('mail.sendTest', { to: 'admin@example.net' })
    expect(sent.ok).toBe(true)
    await waitFor(() => server.received.length === 1, 'the test mail at the relay')
    expect(server.received[0]!.user).toBe('relayuser')

    // Sealed by the keychain: safeStorage did the encrypting, the file never holds the password.
    expect(shell.reports.some((r) => r.type === 'keychain' && r.op === 'encrypt')).toBe(true)
    const view = await shell.invoke<Result<SettingsView>>('settings.get')
    expect(view.ok && view.data.secretStorage.kind).toBe('os')
    const file = readFileSync(join(shell.dataDir, 'settings.json'), 'utf8')
    expect(file).not.toContain('s3cret')

    await shell.command('quit')
    expect(await shell.exited).toEqual({ code: 0, signal: null })
    expect(lastEvent(shell.dataDir)).toBe('SMTP Console engine stopped')
    expect(shell.reports.filter((r) => r.type === 'unhandled-rejection' || r.type === 'uncaught-exception')).toEqual([])
  })

  it('refuses calls that do not come from the main frame of its window showing its page', async () => {
    const shell = boot()
    const window = await shell.window()
    const foreign = [
      { webContentsId: window.webContentsId + 100 },
      { frameUrl: 'https://mail.example.net/' },
      { isMainFrame: false },
      { frameUrl: null },
    ]
    for (const sender of foreign) {
      const answer = await shell.invoke<Result<unknown>>('settings.get', undefined, sender)
      expect(answer.ok ? 'answered' : answer.error.code).toBe('forbidden')
    }
    const own = await shell.invoke<Result<unknown>>('settings.get')
    expect(own.ok).toBe(true)
    await shell.command('quit')
    expect((await shell.exited).code).toBe(0)
  })

  it("runs local submission's sessions on the built listener-thread.js, and the mail they take goes out", async () => {
    expect(existsSync(join(shells.main.root, 'out/main/listener-thread.js'))).toBe(true)
    const relay = await startSmtp({ tls: 'none' })
    shells.later(() => relay.close())
    const shell = boot()
    await shell.window()
    const listenPort = await freePort()
    const saved = await shell.invoke<Result<unknown>>('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: relay.port, listenEnabled: true, listenPort }) })
    expect(saved.ok).toBe(true)
    const client = createTransport({ host: '127.0.0.1', port: listenPort, secure: false, ignoreTLS: true })
    const info = await client.sendMail({ from: 'cron@example.test', to: 'ops@example.net', subject: 'Through the built thread', text: 'hello' })
    client.close()
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{12}$/)
    await waitFor(() => relay.received.length === 1, 'the relay to get the message')
    const events = await shell.invoke<Result<{ items: { message: string }[] }>>('events.list', { limit: 50 })
    const said = events.ok ? events.data.items.map((e) => e.message) : []
    expect(said.some((m) => m.startsWith('Local submission listening on 127.0.0.1:'))).toBe(true)
    // Had the module not loaded, the sessions would run in the engine's thread and this would say so.
    expect(said.filter((m) => m.includes('thread'))).toEqual([])
    await shell.command('quit')
    expect(await shell.exited).toEqual({ code: 0, signal: null })
  })

  it("opens the Mail Queue when an alert's notification is clicked, in the window or in a new one (macOS, where the app outlives its window)", async () => {
    const shell = boot({ platform: 'darwin' })
    const window = await shell.window()
    await shell.next('show')
    // Nothing listens on the Relay Port: the test mail is deferred, and Mail is being deferred is shown.
    const closedPort = await freePort()
    const saved = await shell.invoke<Result<unknown>>('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: closedPort }) })
    expect(saved.ok).toBe(true)
    expect((await shell.invoke<Result<unknown>>('mail.sendTest', { to: 'admin@example.net' })).ok).toBe(true)
    const shown = await shell.next('notification', (r) => String(r.title).startsWith('Mail is being deferred'))
    expect(String(shown.body)).toMatch(/^1 delivery deferred; 1 message is waiting/)

    const before = shell.reports.length
    await shell.command('click-notification')
    const load = await shell.next('load', (r) => shell.reports.indexOf(r) >= before)
    expect(load).toMatchObject({ url: expect.stringMatching(/#\/queue$/), webContentsId: window.webContentsId })
    expect(shell.reports.slice(before).map((r) => r.type)).toEqual(expect.arrayContaining(['show', 'focus']))

    // With the window closed, the click opens a new one on the Mail Queue.
    await shell.command('close-window')
    const closed = shell.reports.length
    await shell.command('click-notification')
    const made = await shell.next('window', (r) => shell.reports.indexOf(r) >= closed)
    const opened = await shell.next('load', (r) => shell.reports.indexOf(r) >= closed)
    expect(opened.url).toMatch(/#\/queue$/)
    expect(made.webContentsId).not.toBe(window.webContentsId)
    await shell.command('quit')
    expect((await shell.exited).code).toBe(0)
  })
})
