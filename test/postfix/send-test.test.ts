import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest } from '../../src/shared/api.ts'
import type { DeliveryProgress } from '../../src/shared/types.ts'
import { openPostfixBackend } from '../../src/main/postfix/backend.ts'
import { openPostfixLogs } from '../../src/main/postfix/logs/log-index.ts'
import { LocalRunner } from '../../src/main/postfix/runner/local.ts'
import { PostfixSettings } from '../../src/main/postfix/settings/postfix-settings.ts'
import { PostfixTools } from '../../src/main/postfix/tools.ts'
import { unwrap, waitFor } from '../helpers/engine.ts'
import { freePort, postfixUnusable, startPostfix } from '../helpers/postfix.ts'
import { startSmtp } from '../helpers/smtp.ts'

// Send Test Email on a real private Postfix, followed through its mail log
// as the embedded engine's test email is: "queued", then the outcome its log
// gives for the queue id — sent with the relay's reply, or deferred with the
// cause in words — as delivery.progress events, which the Send Test Email
// page shows as they come.

const unusable = postfixUnusable()

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function backendOf(relayPort: number) {
  const pf = await startPostfix({ relayPort })
  cleanups.push(() => pf.stop())
  const dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-pf-send-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const tools = new PostfixTools({ runner: new LocalRunner(), configDir: pf.configDir })
  // The index reads the log on its timer, as a system's does.
  const logs = await openPostfixLogs({ dataDir, tools, intervalMs: 200 })
  const backend = await openPostfixBackend({ dataDir, tools, logs, settings: new PostfixSettings({ tools, dataDir }) })
  cleanups.push(() => backend.close())
  const progress: DeliveryProgress[] = []
  backend.on('delivery.progress', (p) => progress.push(p))
  return { backend, progress }
}

const testMail = (to: string) => {
  const parsed = parseRequest('mail.sendTest', { to })
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.data
}

describe.skipIf(unusable !== null)(`Send Test Email on a real Postfix${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  it('says queued, then sent with the relay’s reply, from the mail log', async () => {
    const relay = await startSmtp({ tls: 'none' })
    cleanups.push(() => relay.close())
    const { backend, progress } = await backendOf(relay.port)
    const { queueId } = unwrap(await backend.call('mail.sendTest', testMail('ops@example.net')))
    expect(progress[0]).toMatchObject({ queueId, stage: 'queued' })
    const sent = await waitFor(() => progress.find((p) => p.stage === 'sent'), 'the sent outcome from the log', 30_000)
    expect(sent).toMatchObject({ queueId, recipient: 'ops@example.net' })
    expect(sent.reply).toMatch(/^250 /)
    expect(relay.received).toHaveLength(1)
    expect(progress.map((p) => p.stage)).toEqual(['queued', 'sent'])
  }, 60_000)

  it('says deferred with the cause in words when the relay refuses the connection', async () => {
    const relayPort = await freePort()
    const { backend, progress } = await backendOf(relayPort)
    const { queueId } = unwrap(await backend.call('mail.sendTest', testMail('ops@example.net')))
    const deferred = await waitFor(() => progress.find((p) => p.stage === 'deferred'), 'the deferral from the log', 30_000)
    expect(deferred).toMatchObject({ queueId, recipient: 'ops@example.net', explanation: { cause: 'connection-refused' } })
    expect(deferred.reply).toContain(`127.0.0.1[127.0.0.1]:${relayPort}: Connection refused`)
  }, 60_000)
})
