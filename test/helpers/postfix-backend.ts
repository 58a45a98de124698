import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SETTINGS, type SettingsFields, type SettingsView } from '../../src/shared/settings.ts'
import { openPostfixBackend, type PostfixBackend, type PostfixSettingsPort } from '../../src/main/postfix/backend.ts'
import type { PostfixLogs } from '../../src/main/postfix/logs/postfix-logs.ts'
import { LocalRunner } from '../../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../../src/main/postfix/tools.ts'
import { waitFor } from './engine.ts'
import type { PostfixInstance } from './postfix.ts'

// The Postfix backend over a private instance, for the queue's tests: the log
// side reads nothing (the log index is tested on its own), and the settings
// are the defaults with a From Address, as the settings port keeps them.

export const SMTP_SOURCE = '/usr/sbin/smtp-source'

/** A log index that has read nothing: no outcomes, no rows. */
export function emptyLogs(): PostfixLogs {
  const emptyPage = { items: [], total: 0, totalExact: true, position: 0, nextCursor: null, prevCursor: null }
  return {
    catchUp: () => Promise.resolve(0),
    call: (method) => Promise.resolve(method === 'mailLog.list' || method === 'events.list' ? { ok: true, data: emptyPage } : { ok: false, error: { code: 'not_found', message: 'No log read in this test.' } }) as never,
    exportCsv: () => {
      throw new Error('No log export in this test.')
    },
    takeDownload: () => null,
    lastDeliveryAt: () => null,
    deferralsSinceLastSent: () => ({ lastSentAt: null, oldest: [], newest: [] }),
    outcomes: () => [],
    queueIdOf: () => null,
    on: () => () => undefined,
    close: () => Promise.resolve(),
  }
}

/** The settings the console keeps for the system: the defaults, with its own From Name and From Address. */
export function keptSettings(overrides: Partial<SettingsFields> = {}): PostfixSettingsPort {
  const settings: SettingsFields = { ...DEFAULT_SETTINGS, hostname: 'postfix.report.test', fromName: 'Postfix Test', fromAddress: 'alerts@report.test', ...overrides }
  const view = (): SettingsView => ({
    settings,
    hasPassword: false,
    oauth: { microsoft: { hasClientSecret: false, hasPrivateKey: false }, google: { serviceAccount: null }, custom: { hasClientSecret: false } },
    secretStorage: { kind: 'keyfile', description: 'in a key file (test)' },
    dkim: { key: null, record: null },
  })
  return {
    get: () => Promise.resolve(view()),
    update: () => Promise.reject(new Error('Settings are not changed in this test.')),
    effective: () => Promise.resolve(settings),
    preview: () => Promise.reject(new Error('Settings are not changed in this test.')),
    undo: () => Promise.reject(new Error('Settings are not changed in this test.')),
  }
}

export interface TestBackend {
  backend: PostfixBackend
  tools: PostfixTools
  dataDir: string
  close(): Promise<void>
}

export async function openTestBackend(pf: PostfixInstance, runner = new LocalRunner()): Promise<TestBackend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-pf-backend-'))
  const tools = new PostfixTools({ runner, configDir: pf.configDir })
  const backend = await openPostfixBackend({ dataDir, tools, logs: emptyLogs(), settings: keptSettings() })
  return {
    backend,
    tools,
    dataDir,
    close: async () => {
      await backend.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** smtp-source: `count` messages from `from` to `to` into the instance's smtpd, killed past `timeoutMs`. */
export function inject(pf: PostfixInstance, count: number, from: string, to: string, sessions = 1, timeoutMs = 120_000): void {
  const r = spawnSync(SMTP_SOURCE, ['-s', String(sessions), '-m', String(count), '-f', from, '-t', to, `127.0.0.1:${pf.port}`], { encoding: 'utf8', timeout: timeoutMs })
  if (r.status !== 0) throw new Error(`smtp-source failed (${String(r.status)}): ${r.stderr}`)
}

/** Waits until the queue holds `count` messages, every one deferred with its reason. */
export function allDeferred(pf: PostfixInstance, count: number, timeoutMs = 20_000): Promise<unknown> {
  return waitFor(() => {
    const q = pf.queue()
    return q.length === count && q.every((m) => m.queue_name === 'deferred' && m.recipients.every((r) => r.delay_reason)) ? true : null
  }, `${count} deferred messages in Postfix's queue`, timeoutMs)
}
