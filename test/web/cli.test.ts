import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { browserOpener } from '../../src/main/web/browser.ts'
import { callApi, consoleUrl, recordingCommand, startNode, type Child } from '../helpers/child.ts'
import { removeDir, tempDir, waitFor } from '../helpers/engine.ts'

// `npm run serve` as an admin types it: node src/main/web/cli.ts with flags,
// as a real child process, its output read as the admin reads it.

const CLI = 'src/main/web/cli.ts'
const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

function scratch(): string {
  const dir = tempDir('smtp-console-cli-')
  cleanups.push(() => removeDir(dir))
  return dir
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = startNode([CLI, ...args], { env: { ...process.env, SMTP_CONSOLE_DNS_SERVERS: '127.0.0.1:9', ...env } })
  cleanups.push(() => child.stop())
  return child
}

describe('npm run serve -- <flags>', () => {
  it('--help explains every flag and starts nothing', async () => {
    const dataDir = join(scratch(), 'never-made')
    for (const flag of ['--help', '-h']) {
      const child = run([flag], { SMTP_CONSOLE_DATA_DIR: dataDir })
      expect(await child.exited).toBe(0)
      const help = child.stdout()
      for (const option of ['--port N', '--data-dir DIR', '--static DIR', '--open', '--help', 'SMTP_CONSOLE_DATA_DIR']) expect(help).toContain(option)
      expect(help).toMatch(/^Usage: npm run serve -- \[options\]/)
      expect(child.stderr()).toBe('')
    }
    expect(existsSync(dataDir)).toBe(false)
  })

  it('an unknown flag, a missing value or a stray word gets one line on stderr and exit 2, not a stack trace', async () => {
    const dataDir = join(scratch(), 'never-made')
    const cases: [string[], RegExp][] = [
      [['--bogus'], /^Unknown option --bogus; npm run serve -- --help lists the options\.$/],
      [['--port'], /^Option '--port <value>' argument missing; npm run serve -- --help/],
      [['8025'], /^Unexpected argument 8025: every option starts with --; npm run serve -- --help/],
      [['--open=yes'], /^Option '--open' does not take an argument; npm run serve -- --help/],
      [['--port', 'http'], /^--port must be a number from 0 to 65535 \(0 picks a free port\); got http$/],
    ]
    for (const [args, message] of cases) {
      const child = run(args, { SMTP_CONSOLE_DATA_DIR: dataDir })
      expect(await child.exited, args.join(' ')).toBe(2)
      const lines = child.stderr().trimEnd().split('\n')
      expect(lines, args.join(' ')).toHaveLength(1)
      expect(lines[0], args.join(' ')).toMatch(message)
      expect(child.stderr()).not.toMatch(/^\s+at /m)
      expect(child.stdout()).toBe('')
    }
    expect(existsSync(dataDir)).toBe(false)
  })

  it('--open hands the printed address to the desktop opener, and serves it', async () => {
    const dir = scratch()
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const record = join(dir, 'opened.txt')
    recordingCommand(bin, 'xdg-open', record)
    const child = run(['--open', '--data-dir', join(dir, 'data')], { PATH: bin, DISPLAY: ':0', WAYLAND_DISPLAY: '' })
    const url = await consoleUrl(child)
    const opened = await waitFor(() => (existsSync(record) && readFileSync(record, 'utf8').includes('arg=') ? readFileSync(record, 'utf8') : ''), 'the opener to run')
    expect(opened.split('\n').filter((l) => l.startsWith('arg='))).toEqual([`arg=${url.href}`])
    const status = await callApi(url, 'status.get')
    expect(status).toMatchObject({ status: 200, json: { ok: true } })
    expect(await child.stop()).toBe(0)
  })

  it('--open without a desktop, or without an opener, says so in one line and serves all the same', async () => {
    const dir = scratch()
    const record = join(dir, 'opened.txt')
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    recordingCommand(bin, 'xdg-open', record)
    // An SSH session: an opener exists, but no display to show a browser on.
    const headless = run(['--open', '--data-dir', join(dir, 'a')], { PATH: bin, DISPLAY: '', WAYLAND_DISPLAY: '' })
    const url = await consoleUrl(headless)
    await waitFor(() => headless.stderr().includes('No desktop session'), 'the no-desktop line')
    expect((await callApi(url, 'status.get')).status).toBe(200)
    expect(existsSync(record)).toBe(false)
    expect(await headless.stop()).toBe(0)
    // A display, but no xdg-open on PATH.
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    const noOpener = run(['--open', '--data-dir', join(dir, 'b')], { PATH: empty, DISPLAY: ':0' })
    const url2 = await consoleUrl(noOpener)
    await waitFor(() => /^Could not open a browser \(xdg-open: .*ENOENT.*\): open the address above in one\.$/m.test(noOpener.stderr()), 'the no-opener line')
    expect((await callApi(url2, 'status.get')).status).toBe(200)
    expect(await noOpener.stop()).toBe(0)
  })

  it('picks the opener of each desktop', () => {
    const url = 'http://127.0.0.1:8025/?token=abc'
    expect(browserOpener(url, 'darwin', {})).toEqual({ command: 'open', args: [url] })
    expect(browserOpener(url, 'win32', {})).toEqual({ command: 'cmd.exe', args: ['/d', '/s', '/c', `"start "" "${url}""`] })
    expect(browserOpener(url, 'linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [url] })
    expect(browserOpener(url, 'freebsd', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [url] })
    expect(browserOpener(url, 'linux', {})).toBeNull()
  })
})
