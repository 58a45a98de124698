import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../src/shared/api.ts'
import { testSettings, waitFor } from '../helpers/engine.ts'
import { lastEvent, useShells, type BootedShell } from '../helpers/electron-boot.ts'
import { startSmtp } from '../helpers/smtp.ts'

// The built shell where things go wrong: a keychain that never answers, a page
// that does not load, a window closed and opened again, a relaunch while the
// console is still closing, and Windows.

const shells = useShells()
const ROOT = join(import.meta.dirname, '../..')

function problems(shell: BootedShell) {
  return shell.reports.filter((r) => r.type === 'unhandled-rejection' || r.type === 'uncaught-exception')
}

describe('the built shell when things go wrong', () => {
  it('opens its window when the keychain never answers, and quits', async () => {
    const shell = shells.boot({ keychain: 'hang' })
    await shell.next('show')
    await shell.command('quit')
    expect(await shell.exited).toEqual({ code: 0, signal: null })
    expect(lastEvent(shell.dataDir)).toBe('SMTP Console engine stopped')
  })

  it('quits while start-up still waits on a keychain that does not answer', async () => {
    const shell = shells.boot({ keychain: 'hang' })
    await shell.next('ready')
    await shell.command('quit')
    expect(await shell.exited).toEqual({ code: 0, signal: null })
    expect(shell.reports.filter((r) => r.type === 'window')).toEqual([])
  })

  it('says the page did not load and quits, instead of running on with no window', async () => {
    const shell = shells.boot({ load: 'fail' })
    const box = await shell.next('error-box')
    expect(box.title).toBe('SMTP Console cannot show its window')
    expect(box.content).toMatch(/ERR_FILE_NOT_FOUND/)
    expect(box.content).toContain(shell.dataDir)
    expect(await shell.exited).toEqual({ code: 1, signal: null })
    expect(shell.reports.some((r) => r.type === 'show')).toBe(false)
    expect(problems(shell)).toEqual([])
    expect(lastEvent(shell.dataDir)).toBe('SMTP Console engine stopped')
  })

  it('asks where to save downloads with one listener on the session, however often the window is opened (macOS)', async () => {
    const shell = shells.boot({ platform: 'darwin' })
    await shell.next('show')
    expect(await shell.command('listeners', { event: 'will-download' })).toBe(1)
    for (let i = 0; i < 3; i++) {
      await shell.command('close-window')
      await shell.command('activate')
      await shell.next('show', (r) => r.webContentsId === i + 2)
    }
    expect(await shell.command('windows')).toHaveLength(1)
    expect(await shell.command('listeners', { event: 'will-download' })).toBe(1)
    await shell.command('quit')
    expect((await shell.exited).code).toBe(0)
  })

  it('a second launch shows the running console', async () => {
    const { home, dataDir } = shells.home()
    const first = shells.boot({ home, dataDir })
    await first.next('show')
    const second = shells.boot({ home, dataDir })
    const sent = await second.next('second-instance-sent')
    expect(sent.to).toBe(first.child.pid)
    expect(await second.exited).toEqual({ code: 0, signal: null })
    expect(second.reports.filter((r) => r.type === 'window')).toEqual([])
    // What Electron does with the second launch: the first hears of it.
    await first.command('second-instance', { argv: sent.argv })
    await first.next('focus')
    await first.command('quit')
    expect((await first.exited).code).toBe(0)
  })

  it('a launch while the console is closing on a stuck delivery says so, and opens again once it has closed', async () => {
    let release = () => {}
    let inData = false
    const stuck = await startSmtp({
      tls: 'none',
      holdData: new Promise<void>((resolve) => (release = resolve)),
      onData: () => {
        inData = true
        return null
      },
    })
    shells.later(() => stuck.close())
    shells.later(() => release())
    const shell = shells.boot()
    const saved = await shell.invoke<Result<unknown>>('settings.update', { settings: testSettings({ relayHost: '127.0.0.1', relayPort: stuck.port, useTls: false }) })
    expect(saved.ok).toBe(true)
    expect((await shell.invoke<Result<unknown>>('mail.sendTest', { to: 'admin@example.net' })).ok).toBe(true)
    await waitFor(() => inData, 'the message at the stuck server, waiting for its reply')

    // The admin closes the window: the console quits, and drains the delivery first.
    await shell.command('close-window')
    await shell.next('quit-deferred')
    await shell.command('second-instance', { argv: [] })
    const box = await shell.next('message-box')
    expect(box.message).toBe('SMTP Console is closing')
    expect(box.detail).toMatch(/opens again by itself/)
    expect(await shell.exited).toEqual({ code: 0, signal: null })
    const types = shell.reports.map((r) => r.type)
    expect(types.indexOf('relaunch')).toBeGreaterThan(types.indexOf('message-box'))
    expect(types.indexOf('relaunch')).toBeLessThan(types.indexOf('exit'))
    expect(problems(shell)).toEqual([])
  })

  it("sets Windows' AppUserModelId to the installer's appId, so notifications show", async () => {
    const shell = shells.boot({ platform: 'win32' })
    await shell.next('show')
    const appId = /^appId:\s*(\S+)/m.exec(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8'))![1]
    expect((await shell.next('app-user-model-id')).id).toBe(appId)
    await shell.command('quit')
    expect((await shell.exited).code).toBe(0)
  })
})
