import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { RunnerError, runText } from '../../../src/main/postfix/runner/runner.ts'
import { SshRunner } from '../../../src/main/postfix/runner/ssh.ts'
import { allDeferred, inject } from '../../helpers/postfix-backend.ts'
import { freePort, postfixUnusable, startPostfix, type PostfixInstance } from '../../helpers/postfix.ts'
import { sshdUnusable, startSshd, type Sshd } from '../../helpers/sshd.ts'

// The SSH runner's stream(): a remote command's output handed over as it
// arrives, so the Mail Queue's first page over SSH does not wait for the end
// of postqueue -j — the same bytes as the buffered run(), and a connection
// dropped mid-stream an error, never an end.

const unusable = sshdUnusable() ?? postfixUnusable()
const QUEUED = 300

async function rejection(p: Promise<unknown>): Promise<RunnerError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RunnerError)
  return err as RunnerError
}

describe.skipIf(unusable)(`SshRunner.stream${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let sshd: Sshd
  let postfix: PostfixInstance
  let dataDir: string
  let ssh: SshRunner

  beforeAll(async () => {
    sshd = await startSshd()
    // The relay's port is closed: every message stays deferred with its reason.
    postfix = await startPostfix({ relayPort: await freePort() })
    dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-ssh-stream-'))
    ssh = new SshRunner({ target: sshd.target, dataDir, identityFile: sshd.clientKey, configFile: '/dev/null', timeoutMs: 30_000, connectTimeoutMs: 5000 })
    await ssh.acceptHostKey(sshd.hostKeyFingerprint())
    inject(postfix, QUEUED, 'alerts@example.test', 'ops@example.net', 4)
    await allDeferred(postfix, QUEUED, 90_000)
  }, 150_000)

  afterAll(async () => {
    await ssh?.close()
    await postfix?.stop()
    await sshd?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('hands over postqueue -j of some hundreds of messages exactly as the buffered run and the local tool print it', async () => {
    const argv = ['-c', postfix.configDir, '-j']
    const chunks: Buffer[] = []
    const r = await ssh.stream('/usr/sbin/postqueue', argv, (chunk) => chunks.push(chunk))
    expect(r.code).toBe(0)
    const streamed = Buffer.concat(chunks).toString('utf8')
    const lines = streamed.split('\n').filter(Boolean)
    expect(lines).toHaveLength(QUEUED)
    expect(lines.every((l) => (JSON.parse(l) as { queue_name: string }).queue_name === 'deferred')).toBe(true)
    expect(streamed).toBe(await runText(ssh, '/usr/sbin/postqueue', argv))
    expect(streamed).toBe(await runText(new LocalRunner(), '/usr/sbin/postqueue', argv))
  })

  it('hands over the first output while the command still runs, and a connection dropped then is an error', async () => {
    const chunks: string[] = []
    const streaming = ssh.stream('sh', ['-c', 'echo first; sleep 29; echo done'], (chunk) => chunks.push(chunk.toString('utf8')))
    const failed = rejection(streaming)
    const until = Date.now() + 10_000
    while (chunks.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 50))
    // Its first line is in, and the command has not ended.
    expect(chunks.join('')).toBe('first\n')
    expect(sshd.sessionProcesses().some((p) => p.args === 'sleep 29')).toBe(true)
    expect(sshd.killSessions()).toBeGreaterThan(0)
    const err = await failed
    expect(err.failure).toBe('unreachable')
    expect(err.message).toContain(`Lost the connection to ${sshd.target} before sh finished`)
    expect(chunks.join('')).toBe('first\n')
    // The next command opens a new connection.
    expect(await runText(ssh, 'echo', ['back'])).toBe('back\n')
  })

  it('stops when the caller no longer wants the output, without waiting for the command', async () => {
    const controller = new AbortController()
    const chunks: string[] = []
    const r = await ssh.stream(
      'sh',
      ['-c', 'echo first; sleep 28; echo done'],
      (chunk) => {
        chunks.push(chunk.toString('utf8'))
        controller.abort()
      },
      { signal: controller.signal },
    )
    expect(r.code).toBeNull()
    expect(chunks.join('')).toBe('first\n')
  })
})
