import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SETTINGS, type SettingsFields } from '../../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../../src/main/core/engine/engine.ts'
import type { EngineOptions } from '../../src/main/core/engine/engine-types.ts'

export function tempDir(prefix = 'smtp-console-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Polls until `check` returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    // Only a truthy value ends the wait, so what it returns is never null or undefined.
    if (value) return value
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export const testSettings = (over: Partial<SettingsFields> = {}): SettingsFields => ({
  ...DEFAULT_SETTINGS,
  hostname: 'console.example.test',
  fromName: 'Ops Console',
  fromAddress: 'alerts@example.test',
  connectionTimeoutSec: 3,
  greetingTimeoutSec: 2,
  ...over,
})

/** An engine on a fresh data directory, configured with `settings`. */
export async function engineWith(settings: Partial<SettingsFields>, options: Partial<EngineOptions> & { password?: string } = {}): Promise<CoreEngine> {
  const dataDir = options.dataDir ?? tempDir()
  // Direct delivery in tests asks a DNS server on loopback, never the machine's resolver.
  const engine = await openEngine({ dataDir, dnsServers: ['127.0.0.1:9'], ...options })
  const result = await engine.call('settings.update', { settings: testSettings(settings), ...(options.password !== undefined ? { password: options.password } : {}) })
  if (!result.ok) throw new Error(`settings rejected: ${JSON.stringify(result.error)}`)
  return engine
}

export function unwrap<T>(r: { ok: true; data: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`API error: ${JSON.stringify(r.error)}`)
  return r.data
}
