import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import type { ApiParsedRequest } from '../../../src/shared/api.ts'
import { ConflictError } from '../../../src/main/core/engine/api-errors.ts'
import { SettingsRejected } from '../../../src/main/core/settings/settings-store.ts'
import { PostfixSettings } from '../../../src/main/postfix/settings/postfix-settings.ts'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { PostfixTools } from '../../../src/main/postfix/tools.ts'
import { freePort, POSTCONF, postfixUnusable, startPostfix, type PostfixInstance } from '../../helpers/postfix.ts'
import { removeDir, tempDir, testSettings, waitFor } from '../../helpers/engine.ts'

// Edit Settings on a real private Postfix instance: what a save writes to
// main.cf and the password map, read back through postconf and postmap;
// preview, undo, refusals, and a failed save that puts main.cf back.

const PASSWORD = 'Rk4-postfix-pass-9051'
const unusable = postfixUnusable()

const relay = (over: Partial<SettingsFields> = {}): SettingsFields =>
  testSettings({
    hostname: 'mail.example.test',
    fromName: 'Mail Ops',
    fromAddress: 'ops@example.test',
    relayHost: 'smtp.example.test',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    username: 'ops@example.test',
    ...over,
  })

const request = (settings: SettingsFields, secrets: Omit<ApiParsedRequest<'settings.update'>, 'settings'> = {}): ApiParsedRequest<'settings.update'> => ({ settings, ...secrets })

// Each test starts and stops its own Postfix and runs a few dozen commands: generous on a loaded machine.
describe.skipIf(unusable)(`Postfix settings${unusable ? ` (skipped: ${unusable})` : ''}`, { timeout: 120_000 }, () => {
  let pf: PostfixInstance
  let dataDir: string
  let settings: PostfixSettings
  let mainCf: string
  let mapPath: string

  const postconf = (...names: string[]): string[] => {
    const r = spawnSync(POSTCONF, ['-c', pf.configDir, '-h', ...names], { encoding: 'utf8', timeout: 30_000 })
    if (r.status !== 0) throw new Error(`postconf failed: ${r.stderr}`)
    return r.stdout.replace(/\n$/, '').split('\n')
  }
  const postconfSet = (...lines: string[]) => {
    const r = spawnSync(POSTCONF, ['-c', pf.configDir, '-e', ...lines], { encoding: 'utf8', timeout: 30_000 })
    if (r.status !== 0) throw new Error(`postconf -e failed: ${r.stderr}`)
  }
  /** Every file under the data directory and the configuration directory, to look for the password in. */
  const filesWith = (needle: string): string[] =>
    [dataDir, pf.configDir]
      .flatMap((d) => readdirSync(d, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)))
      .filter((f) => readFileSync(f).includes(needle))

  beforeEach(async () => {
    pf = await startPostfix({ relayPort: await freePort() })
    mainCf = join(pf.configDir, 'main.cf')
    mapPath = join(pf.configDir, 'smtp_console_sasl_passwd')
    // A parameter and a comment the console knows nothing of: every save leaves them as written.
    appendFileSync(mainCf, '# kept by the admin\nsmtpd_banner = $myhostname ESMTP kept\n')
    dataDir = tempDir()
    settings = new PostfixSettings({ tools: new PostfixTools({ runner: new LocalRunner({ timeoutMs: 30_000 }), configDir: pf.configDir }), dataDir })
  })
  afterEach(async () => {
    await pf.stop()
    removeDir(dataDir)
  })

  it('applies the settings to main.cf, reads them back through postconf, and reloads the running Postfix', async () => {
    const view = await settings.update(request(relay(), { password: PASSWORD }))
    expect(postconf('relayhost', 'smtp_tls_security_level', 'smtp_tls_wrappermode', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'myhostname')).toEqual([
      '[smtp.example.test]:587',
      'secure',
      'no',
      'yes',
      `hash:${mapPath}`,
      'mail.example.test',
    ])
    expect(postconf('smtp_sasl_security_options', 'smtp_sasl_tls_security_options')).toEqual(['noplaintext, noanonymous', 'noanonymous'])
    expect(view.settings).toMatchObject({ relayHost: 'smtp.example.test', relayPort: 587, useTls: true, tlsMode: 'starttls', verifyCertificate: true, useSasl: true, username: 'ops@example.test', hostname: 'mail.example.test', fromName: 'Mail Ops', fromAddress: 'ops@example.test' })
    expect(view.hasPassword).toBe(true)
    expect(await settings.effective()).toEqual(view.settings)
    await waitFor(() => /postfix\/master\[\d+\]: reload/.test(pf.log()), 'Postfix to log its reload')

    // Implicit TLS without verification, then Use TLS off and direct delivery.
    await settings.update(request(relay({ tlsMode: 'implicit', relayPort: 465, verifyCertificate: false })))
    expect(postconf('relayhost', 'smtp_tls_security_level', 'smtp_tls_wrappermode')).toEqual(['[smtp.example.test]:465', 'encrypt', 'yes'])
    expect((await settings.get()).settings).toMatchObject({ relayPort: 465, useTls: true, tlsMode: 'implicit', verifyCertificate: false })
    await settings.update(request(relay({ relayHost: '', relayPort: null, useTls: false, useSasl: false, username: '' })))
    expect(postconf('relayhost', 'smtp_tls_security_level', 'smtp_tls_wrappermode', 'smtp_sasl_auth_enable')).toEqual(['', 'may', 'no', 'no'])
    expect((await settings.get()).settings).toMatchObject({ relayHost: '', relayPort: null, useTls: false, useSasl: false })
  })

  it('reads relayhost in each of its forms as Relay Host and Relay Port', async () => {
    const read = async (relayhost: string, level = 'may') => {
      postconfSet(`relayhost=${relayhost}`, `smtp_tls_security_level=${level}`)
      const s = (await settings.get()).settings
      return [s.relayHost, s.relayPort, s.useTls]
    }
    expect(await read('[relay.example.test]:2525')).toEqual(['relay.example.test', 2525, false])
    expect(await read('relay.example.test:587', 'encrypt')).toEqual(['relay.example.test', 587, true])
    expect(await read('[relay.example.test]')).toEqual(['relay.example.test', null, false])
    // Postfix's [host] is port 25 even with TLS required, where the console's blank port would mean 587.
    expect(await read('[relay.example.test]', 'secure')).toEqual(['relay.example.test', 25, true])
    expect(await read('[192.0.2.7]:587')).toEqual(['192.0.2.7', 587, false])
    expect(await read('')).toEqual(['', null, false])
  })

  it('writes the password map 0600, owned by root, postmapped, and never returns the password', async () => {
    const answers = [await settings.update(request(relay(), { password: PASSWORD }))]
    for (const file of [mapPath, `${mapPath}.db`]) {
      const st = statSync(file)
      expect({ file, mode: st.mode & 0o777, uid: st.uid }).toEqual({ file, mode: 0o600, uid: 0 })
    }
    const q = spawnSync('/usr/sbin/postmap', ['-c', pf.configDir, '-q', '[smtp.example.test]:587', `hash:${mapPath}`], { encoding: 'utf8', timeout: 30_000 })
    expect(q.stdout.trim()).toBe(`ops@example.test:${PASSWORD}`)
    answers.push(await settings.get())
    answers.push({ changes: await settings.preview(request(relay({ relayPort: 2525 }), { password: 'Another-pass-77' })) } as never)
    // A save that keeps the password carries it to the map's new key.
    answers.push(await settings.update(request(relay({ relayPort: 2525 }))))
    const moved = spawnSync('/usr/sbin/postmap', ['-c', pf.configDir, '-q', '[smtp.example.test]:2525', `hash:${mapPath}`], { encoding: 'utf8', timeout: 30_000 })
    expect(moved.stdout.trim()).toBe(`ops@example.test:${PASSWORD}`)
    answers.push(await settings.undo())
    for (const answer of answers) {
      expect(JSON.stringify(answer)).not.toContain(PASSWORD)
      expect(JSON.stringify(answer)).not.toContain('Another-pass-77')
    }
    // Only the map and its database hold it (and the copy undo keeps of them); never the data directory.
    expect(filesWith(PASSWORD).map((f) => f.slice(pf.configDir.length + 1)).sort()).toEqual(['smtp_console_sasl_passwd', 'smtp_console_sasl_passwd.db'])
  })

  it('previews exactly the lines a save would change, and changes nothing', async () => {
    await settings.update(request(relay(), { password: PASSWORD }))
    const before = readFileSync(mainCf)
    const changes = await settings.preview(request(relay({ hostname: 'mx2.example.test', relayPort: 2525 })))
    expect(changes).toEqual([
      { name: 'relayhost', from: '[smtp.example.test]:587', to: '[smtp.example.test]:2525' },
      { name: 'myhostname', from: 'mail.example.test', to: 'mx2.example.test' },
      { name: mapPath, from: '[smtp.example.test]:587 ops@example.test (password set)', to: '[smtp.example.test]:2525 ops@example.test (password set)' },
    ])
    expect(await settings.preview(request(relay()))).toEqual([])
    expect(await settings.preview(request(relay(), { password: PASSWORD }))).toEqual([])
    expect(await settings.preview(request(relay({ fromName: 'Other' })))).toEqual([])
    expect(await settings.preview(request(relay(), { password: 'Another-pass-77' }))).toEqual([
      { name: mapPath, from: '[smtp.example.test]:587 ops@example.test (password set)', to: '[smtp.example.test]:587 ops@example.test (new password)' },
    ])
    expect(readFileSync(mainCf)).toEqual(before)
    // A relayhost already meaning the same host and port is left as the admin wrote it; the map's key follows it.
    postconfSet('relayhost=smtp.example.test:587')
    expect(await settings.preview(request(relay()))).toEqual([
      { name: mapPath, from: '[smtp.example.test]:587 ops@example.test (password set)', to: 'smtp.example.test:587 ops@example.test (password set)' },
    ])
  })

  it('undo puts back the previous main.cf byte for byte, once', async () => {
    const original = readFileSync(mainCf)
    // Undo of the first save: the map the console wrote goes with it.
    await settings.update(request(relay(), { password: PASSWORD }))
    await settings.undo()
    expect(readFileSync(mainCf)).toEqual(original)
    expect(existsSync(mapPath)).toBe(false)
    expect(existsSync(`${mapPath}.db`)).toBe(false)

    await settings.update(request(relay(), { password: PASSWORD }))
    expect(readFileSync(mainCf)).not.toEqual(original)
    const afterFirst = readFileSync(mainCf)
    await settings.update(request(relay({ relayPort: 2525, hostname: 'mx2.example.test', fromName: 'Second' })))

    const view = await settings.undo()
    expect(readFileSync(mainCf)).toEqual(afterFirst)
    expect(view.settings).toMatchObject({ relayPort: 587, hostname: 'mail.example.test', fromName: 'Mail Ops' })
    await expect(settings.undo()).rejects.toThrow(ConflictError)

    await settings.update(request(relay({ useSasl: false, username: '' }), { password: null }))
    await settings.undo()
    expect(readFileSync(mainCf)).toEqual(afterFirst)
    expect(postconf('relayhost')).toEqual(['[smtp.example.test]:587'])
    // The cleared map is back with its entry, postmapped.
    const q = spawnSync('/usr/sbin/postmap', ['-c', pf.configDir, '-q', '[smtp.example.test]:587', `hash:${mapPath}`], { encoding: 'utf8', timeout: 30_000 })
    expect(q.stdout.trim()).toBe(`ops@example.test:${PASSWORD}`)
    expect((await settings.get()).hasPassword).toBe(true)
  })

  it('saves one at a time: two saves at once apply in order, and undo goes back to the first', async () => {
    await Promise.all([settings.update(request(relay(), { password: PASSWORD })), settings.update(request(relay({ relayPort: 2525 })))])
    expect(postconf('relayhost')).toEqual(['[smtp.example.test]:2525'])
    await settings.undo()
    expect(postconf('relayhost')).toEqual(['[smtp.example.test]:587'])
  })

  it('refuses bad input with the field and changes nothing', async () => {
    const before = readFileSync(mainCf)
    const refusal = async (u: ApiParsedRequest<'settings.update'>) => {
      const err = await settings.update(u).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SettingsRejected)
      return (err as SettingsRejected).fields
    }
    expect((await refusal(request(relay({ hostname: 'mail' }), { password: PASSWORD }))).hostname).toMatch(/fully qualified domain name/)
    expect((await refusal(request(relay()))).password).toBe('Enter the Password: Use SASL Authorization is on.')
    expect((await refusal(request(relay({ authMethod: 'oauth-google' }), { password: PASSWORD }))).authMethod).toMatch(/choose Password/)
    expect((await refusal(request(relay({ username: 'ops:1' }), { password: PASSWORD }))).username).toMatch(/colon/)
    await expect(settings.preview(request(relay({ relayPort: 0 })))).rejects.toThrow(SettingsRejected)
    expect(readFileSync(mainCf)).toEqual(before)
    expect(existsSync(mapPath)).toBe(false)
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('leaves every line it does not change as the admin wrote it', async () => {
    const before = readFileSync(mainCf, 'utf8').split('\n')
    await settings.update(request(relay(), { password: PASSWORD }))
    const changed = new Set(['relayhost', 'smtp_tls_security_level', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'smtp_sasl_security_options', 'smtp_sasl_tls_security_options', 'myhostname'])
    const after = readFileSync(mainCf, 'utf8').split('\n')
    const untouched = (lines: string[]) => lines.filter((l) => !changed.has(l.split(/\s*=/)[0]!.trim()))
    expect(untouched(after)).toEqual(untouched(before))
    expect(after).toContain('smtpd_banner = $myhostname ESMTP kept')
    expect(after).toContain('# kept by the admin')
  })

  it('writes main.cf of a stopped Postfix without starting or reloading it', async () => {
    expect(spawnSync('/usr/sbin/postfix', ['-c', pf.configDir, 'stop'], { timeout: 30_000 }).status).toBe(0)
    await waitFor(() => spawnSync('/usr/sbin/postfix', ['-c', pf.configDir, 'status'], { timeout: 30_000 }).status !== 0, 'Postfix to stop')
    await settings.update(request(relay(), { password: PASSWORD }))
    expect(postconf('relayhost')).toEqual(['[smtp.example.test]:587'])
    expect(spawnSync('/usr/sbin/postfix', ['-c', pf.configDir, 'status'], { timeout: 30_000 }).status).not.toBe(0)
  })

  it('puts the previous main.cf back when a step of the save fails', async () => {
    // A database type postmap does not know makes the save fail after postconf -e has changed main.cf.
    postconfSet('default_database_type=nosuchtype')
    const before = readFileSync(mainCf)
    await expect(settings.update(request(relay(), { password: PASSWORD }))).rejects.toThrow(/The previous main.cf was put back/)
    expect(readFileSync(mainCf)).toEqual(before)
    expect(existsSync(mapPath)).toBe(false)
    expect(readdirSync(pf.configDir).filter((n) => n.includes('smtp-console'))).toEqual([])
    await expect(settings.undo()).rejects.toThrow(ConflictError)
  })
})
