import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest } from '../../src/shared/api.ts'
import { openEngine } from '../../src/main/core/engine/engine.ts'
import { openPostfixBackend, type PostfixBackend } from '../../src/main/postfix/backend.ts'
import { openPostfixLogs, type PostfixLogIndex } from '../../src/main/postfix/logs/log-index.ts'
import { LocalRunner } from '../../src/main/postfix/runner/local.ts'
import { PostfixSettings } from '../../src/main/postfix/settings/postfix-settings.ts'
import { PostfixTools } from '../../src/main/postfix/tools.ts'
import { SystemsHub } from '../../src/main/systems/hub.ts'
import { unwrap, waitFor } from '../helpers/engine.ts'
import { allDeferred, inject } from '../helpers/postfix-backend.ts'
import { freePort, postfixUnusable, startPostfix, type PostfixInstance } from '../helpers/postfix.ts'
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts'

// A real private Postfix whose relay is a closed loopback port: its log says
// "Connection refused" for every message, and the console says it is not
// delivering, as it does for the embedded engine, until the relay comes back
// and a message goes out.

const unusable = postfixUnusable()

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-console-pf-health-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The backend as a system opens it: the log found by postconf, the settings read from main.cf. */
async function backendOf(pf: PostfixInstance, dataDir: string, intervalMs = 0): Promise<{ backend: PostfixBackend; logs: PostfixLogIndex }> {
  const tools = new PostfixTools({ runner: new LocalRunner(), configDir: pf.configDir })
  const logs = await openPostfixLogs({ dataDir, tools, intervalMs })
  const backend = await openPostfixBackend({ dataDir, tools, logs, settings: new PostfixSettings({ tools, dataDir }) })
  return { backend, logs }
}

describe.skipIf(unusable !== null)(`the delivery health of a real Postfix${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  it('is failing since the first refused connection while the relay is closed, on the dashboard and in the All systems summary, and delivering once a message goes out', async () => {
    const relayPort = await freePort()
    const pf = await startPostfix({ relayPort })
    cleanups.push(() => pf.stop())
    inject(pf, 5, 'ops@a.test', 'user@one.test')
    await allDeferred(pf, 5)
    const { backend, logs } = await backendOf(pf, tempDir())
    cleanups.push(() => backend.close())
    await waitFor(async () => {
      await logs.catchUp()
      return logs.deferralsSinceLastSent().newest.length >= 5 ? true : null
    }, 'five deferrals in the log index', 20_000)

    const status = unwrap(await backend.call('status.get', undefined))
    expect(status.mode).toBe('relay')
    const { oldest, newest } = logs.deferralsSinceLastSent()
    expect(status.health).toEqual({
      state: 'failing',
      lastSentAt: null,
      since: oldest[0]!.at,
      lastFailureAt: newest[0]!.at,
      brief: `connection refused by 127.0.0.1:${relayPort}`,
      explanation: expect.objectContaining({ cause: 'connection-refused' }) as unknown,
      check: [
        { field: 'relayPort', label: 'Relay Port' },
        { field: 'relayHost', label: 'Relay Host' },
      ],
      settingsChangedSince: false,
    })

    // The All systems summary names the problem in the same words (the system's index reads the log on its timer).
    const hubDir = tempDir()
    const local = await openEngine({ dataDir: hubDir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    cleanups.push(() => local.close())
    const hub = new SystemsHub({ dataDir: hubDir, local, summaryTimeoutMs: 10_000, openPostfix: (_info, systemDir) => backendOf(pf, systemDir, 100).then((b) => b.backend) })
    cleanups.push(() => hub.close())
    const add = parseRequest('systems.add', { name: 'Closed relay', kind: 'postfix', configDir: pf.configDir })
    if (!add.ok) throw new Error(add.error.message)
    const added = unwrap(await hub.call('systems.add', add.data))
    const summary = await waitFor(async () => {
      const s = unwrap(await hub.call('systems.summary', undefined)).systems.find((x) => x.system.id === added.system.id)
      return s?.health === 'failing' ? s : null
    }, 'the Postfix system failing in the summary', 20_000)
    expect(summary.problem).toBe(`connection refused by 127.0.0.1:${relayPort}`)

    // The relay comes back: once a message goes out, the health says delivering.
    let relay: TestSmtp | null = null
    relay = await startSmtp({ port: relayPort, tls: 'none' })
    cleanups.push(() => relay.close())
    pf.flush()
    const after = await waitFor(async () => {
      await logs.catchUp()
      const s = unwrap(await backend.call('status.get', undefined))
      return s.health.state === 'delivering' ? s : null
    }, 'delivering after the relay came back', 30_000)
    expect(after.health.lastSentAt).toBe(after.lastDeliveryAt)
    expect(after.health.since).toBeNull()
  })
})
