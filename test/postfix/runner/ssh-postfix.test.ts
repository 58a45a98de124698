import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTransport } from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { SshRunner } from '../../../src/main/postfix/runner/ssh.ts'
import { PostfixTools } from '../../../src/main/postfix/tools.ts'
import { waitFor } from '../../helpers/engine.ts'
import { freePort, postfixUnusable, startPostfix, type PostfixInstance, type PostfixQueueEntry } from '../../helpers/postfix.ts'
import { sshdUnusable, startSshd, type Sshd } from '../../helpers/sshd.ts'

// The same Postfix read through this computer's tools and over SSH through a
// real sshd on loopback: the commands the queue screens run give the same
// answers both ways, standard input included (postsuper -h -).

const unusable = sshdUnusable() ?? postfixUnusable()

function parseQueue(out: string): PostfixQueueEntry[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as PostfixQueueEntry)
    .sort((a, b) => a.queue_id.localeCompare(b.queue_id))
}

describe.skipIf(unusable)(`Postfix's tools over SSH${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let sshd: Sshd
  let postfix: PostfixInstance
  let dataDir: string
  let ssh: SshRunner
  let overSsh: PostfixTools
  let local: PostfixTools

  beforeAll(async () => {
    sshd = await startSshd()
    // The relay's port is closed: every message stays deferred with its reason.
    postfix = await startPostfix({ relayPort: await freePort() })
    dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-ssh-data-'))
    ssh = new SshRunner({ target: sshd.target, dataDir, identityFile: sshd.clientKey, configFile: '/dev/null', timeoutMs: 20_000, connectTimeoutMs: 5000 })
    await ssh.acceptHostKey(sshd.hostKeyFingerprint())
    overSsh = new PostfixTools({ runner: ssh, configDir: postfix.configDir })
    local = new PostfixTools({ runner: new LocalRunner({ timeoutMs: 20_000 }), configDir: postfix.configDir })
    const transport = createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true })
    for (let i = 0; i < 3; i++) {
      await transport.sendMail({ from: 'alerts@example.test', to: [`ops${i}@example.net`, 'oncall@example.org'], subject: `Queued ${i}`, text: `message ${i}` })
    }
    transport.close()
    await waitFor(() => {
      const q = postfix.queue()
      return q.length === 3 && q.every((m) => m.queue_name === 'deferred' && m.recipients.every((r) => r.delay_reason))
    }, 'three deferred messages with their reasons', 30_000)
  }, 60_000)

  afterAll(async () => {
    await ssh?.close()
    await postfix?.stop()
    await sshd?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('lists the queue (postqueue -j) and reads parameters (postconf -h) as the local tools do', async () => {
    const remote = parseQueue(await overSsh.text('postqueue', ['-j']))
    expect(remote).toHaveLength(3)
    expect(remote[0]!.recipients[0]!.delay_reason).toMatch(/Connection refused/)
    expect(remote).toEqual(parseQueue(await local.text('postqueue', ['-j'])))

    const names = ['queue_directory', 'relayhost', 'myhostname', 'maillog_file']
    const params = await overSsh.params(names)
    expect(params[2]).toBe('postfix.report.test')
    expect(params).toEqual(await local.params(names))
  })

  it('shows a message (postcat, as root) and holds one by the id given on standard input (postsuper -h -)', async () => {
    const [first] = parseQueue(await local.text('postqueue', ['-j']))
    const id = first!.queue_id
    expect(await overSsh.text('postcat', ['-bh', '-q', id])).toBe(await local.text('postcat', ['-bh', '-q', id]))

    const held = await overSsh.run('postsuper', ['-h', '-'], { input: `${id}\n` })
    expect(held.code).toBe(0)
    expect(postfix.queue().find((m) => m.queue_id === id)?.queue_name).toBe('hold')
  })
})
