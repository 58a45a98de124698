import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { remoteCommandLine, shellQuote, takeStatus } from '../../../src/main/postfix/runner/quote.ts'
import { RunnerError, runText } from '../../../src/main/postfix/runner/runner.ts'
import { parseSshTarget, SshRunner } from '../../../src/main/postfix/runner/ssh.ts'
import { freePort } from '../../helpers/postfix.ts'
import { sshdUnusable, startSshd, type Sshd } from '../../helpers/sshd.ts'

// The runner for a Postfix server over SSH, against a real OpenSSH server on
// loopback: host keys accepted by fingerprint and never replaced silently,
// sign-in refused, a server down or a connection dropped mid-command told
// from an answer, and arguments arriving exactly as given.

const unusable = sshdUnusable()
const dirs: string[] = []
const runners: SshRunner[] = []

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'smtp-console-ssh-data-'))
  dirs.push(d)
  return d
}

function runner(sshd: Pick<Sshd, 'target' | 'clientKey'>, options: Partial<ConstructorParameters<typeof SshRunner>[0]> = {}): SshRunner {
  // configFile /dev/null: this computer's own ssh config has no say in the tests.
  const r = new SshRunner({ target: sshd.target, dataDir: dataDir(), identityFile: sshd.clientKey, configFile: '/dev/null', timeoutMs: 20_000, connectTimeoutMs: 5000, ...options })
  runners.push(r)
  return r
}

async function failure(p: Promise<unknown>): Promise<RunnerError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RunnerError)
  return err as RunnerError
}

/** A runner whose server's host key has been accepted. */
async function trusted(sshd: Sshd, options: Partial<ConstructorParameters<typeof SshRunner>[0]> = {}): Promise<SshRunner> {
  const r = runner(sshd, options)
  await r.acceptHostKey(sshd.hostKeyFingerprint())
  return r
}

afterAll(async () => {
  for (const r of runners) await r.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('the remote command line', () => {
  it('single-quotes every word, and runs it through sudo -n only when asked', () => {
    expect(shellQuote(`it's $(id); x`)).toBe(`'it'\\''s $(id); x'`)
    expect(remoteCommandLine('/usr/sbin/postsuper', ['-d', '-'], { sudo: true, statusMark: 'M=' })).toBe(
      `'sudo' '-n' '--' '/usr/sbin/postsuper' '-d' '-'; printf '%s%s\\n' 'M=' "$?" >&2`,
    )
    expect(remoteCommandLine('/usr/sbin/postqueue', ['-j'], { sudo: false, statusMark: 'M=' })).toBe(`'/usr/sbin/postqueue' '-j'; printf '%s%s\\n' 'M=' "$?" >&2`)
    expect(() => shellQuote('a\0b')).toThrow('NUL')
  })

  it('takes the exit status off the end of standard error, and knows when it never came', () => {
    expect(takeStatus('warning: x\nM=255\n', 'M=')).toEqual({ status: 255, stderr: 'warning: x\n' })
    expect(takeStatus('no newline at endM=0\n', 'M=')).toEqual({ status: 0, stderr: 'no newline at end' })
    expect(takeStatus('Connection to 127.0.0.1 closed by remote host.\n', 'M=')).toEqual({ status: null, stderr: 'Connection to 127.0.0.1 closed by remote host.\n' })
  })

  it('reads user@host[:port] and refuses anything ssh would take as an option', () => {
    expect(parseSshTarget('admin@mail1.example.net:2222')).toEqual({ user: 'admin', host: 'mail1.example.net', port: 2222 })
    expect(parseSshTarget('admin@[2001:db8::1]:22')).toEqual({ user: 'admin', host: '2001:db8::1', port: 22 })
    expect(parseSshTarget('mail1')).toEqual({ user: undefined, host: 'mail1', port: undefined })
    for (const bad of ['-oProxyCommand=x', 'admin@-oProxyCommand=x', 'a b@host', 'admin@host:99999', 'admin@host;id', '']) {
      expect(() => parseSshTarget(bad), bad).toThrow('give it as user@host or user@host:port')
    }
  })
})

describe.skipIf(unusable)(`SshRunner against a real sshd${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let sshd: Sshd

  beforeAll(async () => {
    sshd = await startSshd()
  })
  afterAll(async () => {
    await sshd?.stop()
  })

  it('shows an unknown server’s fingerprint, accepts exactly that key, then runs commands', async () => {
    const r = runner(sshd)
    const expected = sshd.hostKeyFingerprint()
    const unknown = await failure(r.run('true', []))
    expect(unknown.failure).toBe('host-key-unknown')
    expect(unknown.fingerprint).toBe(expected)
    expect(unknown.message).toContain(expected)
    expect(existsSync(r.knownHostsFile)).toBe(false)

    // A fingerprint the server does not offer is refused, and nothing is written.
    const wrong = await failure(r.acceptHostKey('SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))
    expect(wrong.message).toContain('no longer offers the host key')
    expect(existsSync(r.knownHostsFile)).toBe(false)

    await r.acceptHostKey(expected)
    const lines = readFileSync(r.knownHostsFile, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toBe(`[127.0.0.1]:${sshd.port} ${readFileSync(join(sshdDir(sshd), 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')}`)
    expect(await runText(r, 'id', ['-un'])).toBe('root\n')
  })

  it('runs every command over one shared connection', async () => {
    const r = await trusted(sshd)
    const first = await runText(r, 'sh', ['-c', 'echo "$SSH_CONNECTION"'])
    const second = await runText(r, 'sh', ['-c', 'echo "$SSH_CONNECTION"'])
    // The client's port is in SSH_CONNECTION: the same port is the same TCP connection.
    expect(first.trim()).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/)
    expect(second).toBe(first)
    // Past sshd's MaxSessions (10) ssh would open a connection per command: more at once than that wait for a channel.
    const many = await Promise.all(Array.from({ length: 16 }, () => runText(r, 'sh', ['-c', 'sleep 0.3; echo "$SSH_CONNECTION"'])))
    expect(new Set(many)).toEqual(new Set([first]))
  })

  it('hands arguments over exactly as given, standard input through, and the exit status as the command’s own', async () => {
    const r = await trusted(sshd)
    const args = ['a b', `it's`, '"double"', '$(touch /tmp/smtp-console-pwned)', '`id`', ';echo injected', 'two\nlines', '', '*', 'back\\slash', '$HOME', '!bang']
    const out = await r.run('sh', ['-c', 'printf "%s|" "$@"; cat', 'sh', ...args], { input: 'from stdin\n\u00e9' })
    expect(out.code).toBe(0)
    expect(out.stdout.toString('utf8')).toBe(`${args.join('|')}|from stdin\n\u00e9`)
    expect(existsSync('/tmp/smtp-console-pwned')).toBe(false)

    // 255 is also ssh's own failure status: the command's 255 comes back as a result, not as a lost connection.
    const r255 = await r.run('sh', ['-c', 'echo said >&2; printf partial; exit 255'])
    expect(r255).toMatchObject({ code: 255, stderr: 'said\n' })
    expect(r255.stdout.toString()).toBe('partial')
  })

  it('runs root commands directly when the account is root, and tells a missing program and a slow one', async () => {
    const r = await trusted(sshd)
    // sudo is not used for root: this passes on a server without sudo.
    expect(await runText(r, 'id', ['-u'], { root: true })).toBe('0\n')
    expect((await failure(r.run('/nonexistent/postqueue', ['-j']))).failure).toBe('not-found')
    const slow = await failure(r.run('sleep', ['10'], { timeoutMs: 500 }))
    expect(slow.failure).toBe('timeout')
  })

  it.skipIf(!existsSync('/usr/bin/sudo'))(`goes through sudo -n when the account needs it${existsSync('/usr/bin/sudo') ? '' : ' (skipped: sudo is not installed)'}`, async () => {
    const r = await trusted(sshd, { sudo: true })
    // sudo sets SUDO_USER to the account that called it.
    expect(await runText(r, 'sh', ['-c', 'echo "$SUDO_USER:$(id -u)"'], { root: true })).toBe('root:0\n')
    expect(await runText(r, 'sh', ['-c', 'echo "${SUDO_USER:-none}"'])).toBe('none\n')
  })

  it.skipIf(existsSync('/usr/bin/sudo'))(`tells sudo is missing on a server where the account needs it${existsSync('/usr/bin/sudo') ? ' (skipped: sudo is installed here)' : ''}`, async () => {
    const r = await trusted(sshd, { sudo: true })
    const err = await failure(r.run('id', ['-u'], { root: true }))
    expect(err.failure).toBe('not-found')
    expect(err.message).toContain('sudo is not installed')
  })

  it('keeps the shared connection’s socket short when the data directory’s path is long', async () => {
    const long = join(dataDir(), 'a'.repeat(60), 'b'.repeat(60))
    const r = await trusted(sshd, { dataDir: long })
    expect(await runText(r, 'echo', ['ok'])).toBe('ok\n')
    expect(r.knownHostsFile.startsWith(long)).toBe(true)
  })

  it('refuses a sign-in with a key the server does not know', async () => {
    const r = await trusted(sshd, { identityFile: sshd.wrongKey })
    const err = await failure(r.run('true', []))
    expect(err.failure).toBe('auth')
    expect(err.message).toContain('refused the SSH sign-in')
  })

  it('tells a connection dropped mid-command from an answer', async () => {
    const r = await trusted(sshd)
    const running = r.run('sh', ['-c', 'echo started; sleep 29; echo done'])
    const started = () => sshd.sessionProcesses().some((p) => p.args === 'sleep 29')
    const until = Date.now() + 10_000
    while (!started() && Date.now() < until) await new Promise((res) => setTimeout(res, 50))
    expect(started()).toBe(true)
    expect(sshd.killSessions()).toBeGreaterThan(0)
    const err = await failure(running)
    expect(err.failure).toBe('unreachable')
    expect(err.message).toContain(`Lost the connection to ${sshd.target} before sh finished`)
    // The next command opens a new connection.
    expect(await runText(r, 'echo', ['back'])).toBe('back\n')
  })
})

describe.skipIf(unusable)(`SshRunner when the server is not there${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  const silent: Socket[] = []
  const servers: ReturnType<typeof createServer>[] = []
  afterEach(async () => {
    for (const s of silent) s.destroy()
    for (const s of servers) await new Promise((res) => s.close(() => res(undefined)))
  })

  it('is unreachable when nothing listens on the port', async () => {
    const port = await freePort()
    const r = runner({ target: `root@127.0.0.1:${port}`, clientKey: '/dev/null' })
    const err = await failure(r.run('true', []))
    expect(err.failure).toBe('unreachable')
    expect(err.message).toBe(`Could not reach root@127.0.0.1:${port}: ssh: connect to host 127.0.0.1 port ${port}: Connection refused.`)
  })

  it('is unreachable when the server never greets within the connect timeout', async () => {
    const server = createServer((s) => silent.push(s))
    servers.push(server)
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const r = runner({ target: `root@127.0.0.1:${port}`, clientKey: '/dev/null' }, { connectTimeoutMs: 1000 })
    const err = await failure(r.run('true', []))
    expect(err.failure).toBe('unreachable')
    expect(err.message).toMatch(/^Could not reach .*timed out/)
  })
})

describe.skipIf(unusable)(`SshRunner when the server’s host key changes${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  let sshd: Sshd
  beforeAll(async () => {
    sshd = await startSshd()
  })
  afterAll(async () => {
    await sshd?.stop()
  })

  it('refuses the new key, keeps the old one, and takes the new one only after the old is removed', async () => {
    const r = await trusted(sshd)
    expect(await runText(r, 'echo', ['before'])).toBe('before\n')
    const before = readFileSync(r.knownHostsFile, 'utf8')
    await r.close()

    await sshd.restart({ newHostKey: true })
    const changed = sshd.hostKeyFingerprint()
    const err = await failure(r.run('echo', ['after']))
    expect(err.failure).toBe('host-key-changed')
    expect(err.fingerprint).toBe(changed)
    expect(err.message).toContain("Verify the new key with the server's admin, then remove the old key")
    // Accepting over the old key is refused too: the old key goes first, on purpose.
    expect((await failure(r.acceptHostKey(changed))).failure).toBe('host-key-changed')
    expect(readFileSync(r.knownHostsFile, 'utf8')).toBe(before)

    await r.forgetHostKey()
    await r.acceptHostKey(changed)
    expect(await runText(r, 'echo', ['after'])).toBe('after\n')
  })
})

function sshdDir(sshd: Sshd): string {
  return join(sshd.clientKey, '..')
}
