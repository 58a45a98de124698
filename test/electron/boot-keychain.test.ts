import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../src/shared/api.ts'
import type { SettingsView } from '../../src/shared/settings.ts'
import type { Page, QueueEntry } from '../../src/shared/types.ts'
import { waitFor } from '../helpers/engine.ts'
import { RELAY_PASSWORD, saslSettings, startSaslRelay, useShells, type BootOptions, type BootedShell } from '../helpers/electron-boot.ts'
import type { TestSmtp } from '../helpers/smtp.ts'

// The SASL password across launches of the built shell, with the keychain
// there, then locked, then back, then with a rotated key: each sealed secret
// says which method sealed it, and is opened with that method.

const shells = useShells()

/** The Password as settings.json keeps it. */
function sealedPassword(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { password: string }).password
}

/** The event log's messages of one level, oldest first. */
function events(dataDir: string, level: 'info' | 'warning' | 'error'): string[] {
  const db = new DatabaseSync(join(dataDir, 'queue.sqlite'), { readOnly: true })
  try {
    return (db.prepare('SELECT message FROM events WHERE level = ? ORDER BY id').all(level) as { message: string }[]).map((r) => r.message)
  } finally {
    db.close()
  }
}

async function quit(shell: BootedShell): Promise<void> {
  await shell.command('quit')
  expect(await shell.exited).toEqual({ code: 0, signal: null })
  expect(shell.reports.filter((r) => r.type === 'unhandled-rejection')).toEqual([])
}

async function sendTest(shell: BootedShell, server: TestSmtp): Promise<void> {
  const before = server.received.length
  const sent = await shell.invoke<Result<unknown>>('mail.sendTest', { to: 'admin@example.net' })
  expect(sent.ok).toBe(true)
  await waitFor(() => server.received.length === before + 1, 'the test mail at the relay')
}

describe('the Password sealed by the keychain or the key file', () => {
  it('opens it with the method that sealed it, names the keychain when it is locked, and re-seals once it is back', async () => {
    const server = await startSaslRelay(shells)
    const { home, dataDir } = shells.home()
    const launch = (options: Partial<BootOptions> = {}) => shells.boot({ home, dataDir, ...options })

    // 1. The keychain works: the Password is sealed by it, and says so.
    let shell = launch()
    expect((await shell.invoke<Result<unknown>>('settings.update', { settings: saslSettings(server), password: RELAY_PASSWORD })).ok).toBe(true)
    expect(sealedPassword(dataDir)).toMatch(/^os1:/)
    await sendTest(shell, server)
    await quit(shell)

    // 2. A later launch with the keychain locked: the mail waits, and the reason names the keychain.
    shell = launch({ keychain: 'unavailable' })
    const view = await shell.invoke<Result<SettingsView>>('settings.get')
    expect(view.ok && view.data.secretStorage.kind).toBe('keyfile')
    expect(view.ok && view.data.secretStorage.description).toMatch(/keychain is not available/i)
    const sent = await shell.invoke<Result<{ queueId: string }>>('mail.sendTest', { to: 'admin@example.net' })
    expect(sent.ok).toBe(true)
    const deferred: QueueEntry = await waitFor(async () => {
      const page = await shell.invoke<Result<Page<QueueEntry>>>('queue.list', {})
      return page.ok ? page.data.items.find((e) => e.state === 'deferred') : undefined
    }, 'the test mail deferred')
    expect(deferred.reason).toMatch(/sealed by the OS keychain.*not available/i)
    expect(deferred.explanation?.cause).toBe('secret-unreadable')
    expect(deferred.explanation?.fix).toMatch(/unlock it/)
    expect(server.received).toHaveLength(1)
    // Entered again while the keychain is locked: sealed with the key file, and mail goes out.
    expect((await shell.invoke<Result<unknown>>('settings.update', { settings: saslSettings(server), password: RELAY_PASSWORD })).ok).toBe(true)
    expect(sealedPassword(dataDir)).toMatch(/^gcm1:/)
    expect((await shell.invoke<Result<unknown>>('queue.flush')).ok).toBe(true)
    await waitFor(() => server.received.length === 2, 'the deferred mail at the relay')
    await quit(shell)
    // Said at start too, before any mail waits.
    expect(events(dataDir, 'warning')).toContainEqual(expect.stringMatching(/^The stored Password cannot be decrypted \(it was sealed by the OS keychain/))

    // 3. The keychain is back: what the key file sealed still opens, and is sealed by the keychain again.
    shell = launch()
    await sendTest(shell, server)
    await waitFor(() => sealedPassword(dataDir).startsWith('os1:'), 'the Password sealed by the keychain again')
    await quit(shell)
    expect(events(dataDir, 'info')).toContainEqual(expect.stringMatching(/^Password sealed again: Encrypted by the operating system's keychain/))

    // 4. The keychain rotated its key: safeStorage asks for re-encryption, and gets it.
    shell = launch({ keyVersion: 2 })
    const rotated = sealedPassword(dataDir)
    await shell.next('keychain', (r) => r.op === 'encrypt' && r.version === 2)
    await waitFor(() => sealedPassword(dataDir) !== rotated, 'the Password sealed under the new key')
    await sendTest(shell, server)
    await quit(shell)
    expect(server.received.every((m) => m.user === 'relayuser')).toBe(true)
  })

  it('keeps Linux basic_text out: its key is public, so the key file seals and the view says why', async () => {
    const shell = shells.boot({ keychain: 'basic_text' })
    const view = await shell.invoke<Result<SettingsView>>('settings.get')
    expect(view.ok && view.data.secretStorage.kind).toBe('keyfile')
    expect(view.ok && view.data.secretStorage.description).toMatch(/basic_text store, whose key is public/)
    await quit(shell)
  })
})
