import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTransport } from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRequest, type ApiError, type ApiMethod, type ApiRequest, type ApiResponse, type Result } from '../../src/shared/api.ts'
import type { QueueEntry } from '../../src/shared/types.ts'
import { openEngine, type CoreEngine } from '../../src/main/core/engine/engine.ts'
import { FRESH_MS } from '../../src/main/postfix/queue/snapshot.ts'
import { SystemsHub } from '../../src/main/systems/hub.ts'
import { postfixOpener } from '../../src/main/systems/open-postfix.ts'
import { removeDir, tempDir, unwrap, waitFor } from '../helpers/engine.ts'
import { allDeferred, openTestBackend, type TestBackend } from '../helpers/postfix-backend.ts'
import { freePort, POSTCONF, postfixUnusable, startPostfix, type PostfixInstance } from '../helpers/postfix.ts'
import { descendants, sshdUnusable, startSshd, type Sshd } from '../helpers/sshd.ts'

// The whole stack over SSH: a private Postfix on loopback, a real sshd in
// front of it, and the systems hub with the Postfix opener as the console
// runs them. The server is added, its host key shown and accepted, its queue
// read and changed through hub.call and compared with the same Postfix read on
// this computer; then the connection is lost mid-listing, the console opened
// while the server is down, and the host key changed: each an error that says
// so, never an empty queue.

const unusable = sshdUnusable() ?? postfixUnusable()
const QUEUED = 4
const SYSTEM = 'mail1'

async function api<M extends ApiMethod>(hub: SystemsHub, method: M, raw: ApiRequest<M>, system?: string): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return hub.call(method, parsed.data, system)
}

function refused(r: Result<unknown>): ApiError {
  expect(r.ok).toBe(false)
  if (r.ok) throw new Error('answered where it should have been refused')
  return r.error
}

/** What the Mail Queue shows of each message, from either side. */
const rows = (items: QueueEntry[]) => items.map((e) => ({ queueId: e.queueId, state: e.state, sender: e.sender, recipients: e.recipients, reason: e.reason, size: e.size, arrivalAt: e.arrivalAt }))

/** Past the snapshot's freshness, so the next first page reads the queue again rather than answer from the last reading. */
const stale = () => new Promise((res) => setTimeout(res, FRESH_MS + 100))

describe.skipIf(unusable)(`a Postfix system over SSH, through the hub${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let sshd: Sshd
  let postfix: PostfixInstance
  let relayPort: number
  let local: TestBackend
  let engine: CoreEngine
  let dir: string
  let hub: SystemsHub
  const openHub = () => new SystemsHub({ dataDir: dir, local: engine, summaryTimeoutMs: 20_000, openPostfix: postfixOpener({ sshConfigFile: '/dev/null', firstRetryMs: 300 }) })

  /** The private Postfix's master and its daemons (showq among them). */
  const daemons = (): number[] => {
    const queueDir = spawnSync(POSTCONF, ['-c', postfix.configDir, '-h', 'queue_directory'], { encoding: 'utf8' }).stdout.trim()
    const pidFile = join(queueDir, 'pid', 'master.pid')
    const master = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0
    return master > 0 ? [master, ...descendants(master).map((p) => p.pid)] : []
  }

  beforeAll(async () => {
    sshd = await startSshd()
    // The relay's port is closed: every message stays deferred with its reason.
    relayPort = await freePort()
    postfix = await startPostfix({ relayPort })
    const transport = createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true })
    for (let i = 0; i < QUEUED; i++) {
      await transport.sendMail({ from: 'alerts@example.test', to: [`ops${i}@example.net`, 'oncall@example.org'], subject: `Queued ${i}`, text: `message ${i}` })
    }
    transport.close()
    await allDeferred(postfix, QUEUED, 30_000)
    local = await openTestBackend(postfix)
    dir = tempDir()
    engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
    hub = openHub()
  }, 90_000)

  afterAll(async () => {
    for (const pid of daemons()) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {
        // gone already
      }
    }
    await hub?.close()
    await engine?.close()
    await local?.close()
    await postfix?.stop()
    await sshd?.stop()
    if (dir) removeDir(dir)
  }, 60_000)

  it('adds the server, shows its host key, and once it is accepted answers as the same Postfix on this computer does', async () => {
    const added = unwrap(await api(hub, 'systems.add', { name: SYSTEM, kind: 'postfix', ssh: sshd.target, configDir: postfix.configDir, identityFile: sshd.clientKey }))
    expect(added.system).toMatchObject({ id: SYSTEM, where: sshd.target })
    expect(added.hostKey).toEqual({ systemId: SYSTEM, where: sshd.target, fingerprint: sshd.hostKeyFingerprint() })
    // Not accepted yet: refused with why, never an empty queue.
    expect(refused(await api(hub, 'queue.list', {}, SYSTEM)).message).toContain('its SSH host key has not been accepted yet')

    unwrap(await api(hub, 'systems.acceptHostKey', { id: SYSTEM, fingerprint: added.hostKey!.fingerprint }))
    const remote = unwrap(await api(hub, 'queue.list', { limit: 50 }, SYSTEM))
    const here = unwrap(await local.backend.call('queue.list', { limit: 50 }))
    expect(remote.items).toHaveLength(QUEUED)
    expect(remote.items.every((e) => e.state === 'deferred' && /Connection refused/.test(e.reason ?? ''))).toBe(true)
    expect(rows(remote.items)).toEqual(rows(here.items))
    expect(remote.total).toBe(QUEUED)

    const status = unwrap(await api(hub, 'status.get', undefined, SYSTEM))
    expect(status.counts).toEqual({ queued: 0, active: 0, deferred: QUEUED, hold: 0, total: QUEUED })

    const id = remote.items[0]!.queueId
    unwrap(await api(hub, 'queue.hold', { queueId: id }, SYSTEM))
    expect(postfix.queue().find((m) => m.queue_id === id)?.queue_name).toBe('hold')
    expect(unwrap(await api(hub, 'queue.list', { limit: 50, state: 'hold' }, SYSTEM)).items.map((e) => e.queueId)).toEqual([id])
    expect(unwrap(await api(hub, 'status.get', undefined, SYSTEM)).counts).toMatchObject({ hold: 1, total: QUEUED })
    unwrap(await api(hub, 'queue.release', { queueId: id }, SYSTEM))
    expect(postfix.queue().find((m) => m.queue_id === id)?.queue_name).not.toBe('hold')
    expect(unwrap(await api(hub, 'queue.list', { limit: 50 }, SYSTEM)).items.map((e) => e.queueId).sort()).toEqual(here.items.map((e) => e.queueId).sort())

    const { settings } = unwrap(await api(hub, 'settings.get', undefined, SYSTEM))
    expect(settings).toMatchObject({ hostname: 'postfix.report.test', relayHost: '127.0.0.1', relayPort })
  })

  it('answers an error when the server stops mid-listing, and reads the queue again once it is back', async () => {
    await stale()
    // Postfix held still: postqueue -j waits for showq, so the listing is under way when sshd stops.
    const frozen = daemons()
    expect(frozen.length).toBeGreaterThan(0)
    for (const pid of frozen) process.kill(pid, 'SIGSTOP')
    const listing = api(hub, 'queue.list', { limit: 50 }, SYSTEM)
    try {
      await waitFor(() => sshd.sessionProcesses().some((p) => p.args.startsWith('/usr/sbin/postqueue ')), 'postqueue -j running over SSH')
      await sshd.halt()
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT')
    }
    const lost = refused(await listing)
    expect(lost.code).toBe('conflict')
    expect(lost.message).toContain('the server could not be reached')
    expect(lost.message).toContain(`Lost the connection to ${sshd.target}`)
    // Down: every call says so.
    expect(refused(await api(hub, 'status.get', undefined, SYSTEM)).message).toContain(`Could not reach ${sshd.target}`)
    expect(refused(await api(hub, 'queue.list', { limit: 50 }, SYSTEM)).message).toContain('the server could not be reached')

    await sshd.restart()
    expect(unwrap(await api(hub, 'queue.list', { limit: 50 }, SYSTEM)).items).toHaveLength(QUEUED)
    expect(unwrap(await api(hub, 'status.get', undefined, SYSTEM)).counts.total).toBe(QUEUED)
  })

  it('opens the server once it is back, after the pause, when the console started while it was down', async () => {
    await hub.close()
    await sshd.halt()
    hub = openHub()
    const down = refused(await api(hub, 'status.get', undefined, SYSTEM))
    expect(down.code).toBe('conflict')
    expect(down.message).toContain(`Could not reach ${sshd.target}`)
    expect(refused(await api(hub, 'queue.list', { limit: 50 }, SYSTEM)).code).toBe('conflict')

    await sshd.restart()
    const back = await waitFor(async () => {
      const r = await api(hub, 'status.get', undefined, SYSTEM)
      return r.ok ? r.data : null
    }, 'the server answering again after the retry pause')
    expect(back.counts.total).toBe(QUEUED)
    expect(rows(unwrap(await api(hub, 'queue.list', { limit: 50 }, SYSTEM)).items).map((r) => r.queueId).sort()).toEqual(postfix.queue().map((m) => m.queue_id).sort())
  })

  it('refuses every call naming the changed host key, never with an empty queue', async () => {
    await sshd.restart({ newHostKey: true })
    await stale()
    const id = postfix.queue()[0]!.queue_id
    const answers = [
      await api(hub, 'queue.list', { limit: 50 }, SYSTEM),
      await api(hub, 'status.get', undefined, SYSTEM),
      await api(hub, 'queue.summary', undefined, SYSTEM),
      await api(hub, 'settings.get', undefined, SYSTEM),
      await api(hub, 'queue.hold', { queueId: id }, SYSTEM),
    ]
    for (const a of answers) {
      const e = refused(a)
      expect(e.code).toBe('conflict')
      expect(e.message).toContain('its SSH host key is not the one accepted before')
      expect(e.message).toContain(`it now offers ${sshd.hostKeyFingerprint()}`)
    }
    expect(postfix.queue().find((m) => m.queue_id === id)?.queue_name).toBe('deferred')
    const row = unwrap(await api(hub, 'systems.summary', undefined)).systems.find((s) => s.system.id === SYSTEM)
    expect(row).toMatchObject({ health: 'unreachable', counts: null })
    expect(row?.problem).toContain('host key')
  })
})
