import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiRequest, type ApiResponse, type Result } from '../../../src/shared/api.ts'
import type { EngineMethod as ApiMethod } from '../../../src/shared/methods.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { publicKeyPem } from '../../../src/main/core/settings/dkim-key.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// The DKIM key through a real engine on a temporary data directory: generated
// in the main process or pasted, stored sealed like the password, described to
// the window by its public half and the TXT record, refused in the admin's words.

const dirs: string[] = []
const engines: CoreEngine[] = []
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function open(dataDir?: string): Promise<CoreEngine> {
  const dir = dataDir ?? tempDir()
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  return engine
}

async function reopen(engine: CoreEngine): Promise<CoreEngine> {
  await engine.close()
  engines.splice(engines.indexOf(engine), 1)
  return open(engine.dataDir)
}

/** Calls the engine the way both adapters do: parse with the method's schema, then call. */
async function api<M extends ApiMethod>(engine: CoreEngine, method: M, raw: ApiRequest<M>): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return engine.call(method, parsed.data)
}

const signing = (over: Partial<SettingsFields> = {}): SettingsFields => testSettings({ dkimEnabled: true, dkimSelector: 'mail2025', ...over })

/** The private key in every form it could leak in: PEM lines, DER, DER in base64, and its secret numbers (JWK d, p, q). */
function privateNeedles(key: KeyObject): Buffer[] {
  const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString()
  const der = key.export({ type: 'pkcs8', format: 'der' })
  const jwk = key.export({ format: 'jwk' })
  const lines = pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'))
  const secrets = [jwk.d, jwk.p, jwk.q].filter((v): v is string => typeof v === 'string')
  return [...lines, der.toString('base64'), ...secrets].map((s) => Buffer.from(s)).concat([der, ...secrets.map((s) => Buffer.from(s, 'base64url'))])
}

function filesHolding(dir: string, needles: Buffer[]): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .filter((file) => {
      const bytes = readFileSync(file)
      return needles.some((n) => bytes.includes(n))
    })
}

function fieldErrors(result: Result<unknown>): Record<string, string> {
  if (result.ok) throw new Error('the update was accepted')
  expect(result.error.code).toBe('invalid_request')
  return result.error.fields ?? {}
}

describe('the DKIM key', () => {
  it('a generated key is saved by Submit: the view says it is set and gives the TXT record; the private key is in no response, no file, no log', async () => {
    let engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: testSettings() }))
    expect(unwrap(await engine.call('settings.get', undefined)).dkim).toEqual({ key: null, record: null })

    const generated = unwrap(await api(engine, 'dkim.generateKey', { algorithm: 'rsa-2048' }))
    expect(generated.key).toMatchObject({ algorithm: 'rsa', bits: 2048, warning: null })
    expect(generated.keyId).toMatch(/^[0-9a-f]{32}$/)
    // Generating saves nothing: the saved settings and key stay as they were until Submit.
    expect(unwrap(await engine.call('settings.get', undefined)).dkim.key).toBeNull()

    const view = unwrap(await api(engine, 'settings.update', { settings: signing(), dkimKey: { generated: generated.keyId } }))
    expect(view.dkim.key).toEqual(generated.key)
    expect(view.dkim.record!.name).toBe('mail2025._domainkey.example.test')
    expect(view.dkim.record!.value).toBe(`v=DKIM1; k=rsa; p=${generated.key.publicKey}`)
    // An RSA 2048 record is longer than one DNS string: split at 255 characters.
    expect(view.dkim.record!.strings.length).toBe(2)
    expect(view.dkim.record!.strings.every((s) => s.length <= 255)).toBe(true)
    expect(view.dkim.record!.strings.join('')).toBe(view.dkim.record!.value)

    const key = (await engine.settings.dkimSigningKey())!.privateKey
    expect(key.asymmetricKeyType).toBe('rsa')
    const needles = privateNeedles(key)
    const said = JSON.stringify([generated, view, unwrap(await engine.call('settings.get', undefined)), unwrap(await engine.call('status.get', undefined))])
    expect(needles.filter((n) => said.includes(n.toString()))).toEqual([])
    expect(said).not.toContain('PRIVATE KEY')
    const events = JSON.stringify(unwrap(await engine.call('events.list', { limit: 500 })).items)
    expect(events).toContain('DKIM private key (replaced)')
    expect(needles.filter((n) => events.includes(n.toString()))).toEqual([])
    // The search finds what is stored in clear (the public key), just not the private one.
    expect(filesHolding(engine.dataDir, [Buffer.from(generated.key.publicKey)])).toContain(join(engine.dataDir, 'settings.json'))
    expect(filesHolding(engine.dataDir, needles)).toEqual([])

    // A restart keeps the key, sealed, and the same one signs.
    engine = await reopen(engine)
    expect(unwrap(await engine.call('settings.get', undefined)).dkim).toEqual(view.dkim)
    const again = (await engine.settings.dkimSigningKey())!.privateKey
    expect(again.export({ format: 'jwk' })).toEqual(key.export({ format: 'jwk' }))
    // The public key as PEM, for checking the published record, is the signing key's own.
    expect(publicKeyPem(view.dkim.key!)).toBe(createPublicKey(key).export({ type: 'spki', format: 'pem' }))
    expect(filesHolding(engine.dataDir, needles)).toEqual([])

    // A key generated before a restart is not held any more: Submit says so and keeps the saved key.
    const lost = await api(engine, 'settings.update', { settings: signing(), dkimKey: { generated: generated.keyId } })
    expect(fieldErrors(lost).dkimKey).toMatch(/no longer held .*generate it again/)
    expect(unwrap(await engine.call('settings.get', undefined)).dkim.key).toEqual(generated.key)
  })

  it('a pasted Ed25519 or RSA key is taken; the record names its type; an RSA key under 2048 bits is warned of', async () => {
    const engine = await open()
    const ed = generateKeyPairSync('ed25519').privateKey
    const edView = unwrap(await api(engine, 'settings.update', { settings: signing({ dkimDomain: 'example.test' }), dkimKey: { pem: ed.export({ type: 'pkcs8', format: 'pem' }).toString() } }))
    expect(edView.dkim.key).toMatchObject({ algorithm: 'ed25519', bits: 256, warning: null })
    // RFC 8463: p= is the raw 32-byte public key.
    expect(Buffer.from(edView.dkim.key!.publicKey, 'base64')).toHaveLength(32)
    expect(edView.dkim.record!.value).toBe(`v=DKIM1; k=ed25519; p=${edView.dkim.key!.publicKey}`)
    expect(publicKeyPem(edView.dkim.key!)).toBe(createPublicKey(ed).export({ type: 'spki', format: 'pem' }))
    expect(filesHolding(engine.dataDir, privateNeedles(ed))).toEqual([])

    // PKCS#1 ("BEGIN RSA PRIVATE KEY"), as older tools write it, with CRLF line ends from a Windows clipboard.
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    const pkcs1 = rsa1024.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/\n/g, '\r\n')
    const view = unwrap(await api(engine, 'settings.update', { settings: signing(), dkimKey: { pem: `\n  ${pkcs1}\n` } }))
    expect(view.dkim.key).toMatchObject({ algorithm: 'rsa', bits: 1024 })
    expect(view.dkim.key!.warning).toMatch(/1024 bits: receivers such as Gmail .* expect at least 2048/)
    expect(filesHolding(engine.dataDir, privateNeedles(rsa1024))).toEqual([])

    // Cleared with the key: Sign with DKIM off first, since it needs one.
    expect(fieldErrors(await api(engine, 'settings.update', { settings: signing(), dkimKey: null })).dkimKey).toMatch(/Generate a DKIM private key or paste one: Sign with DKIM is on/)
    const cleared = unwrap(await api(engine, 'settings.update', { settings: signing({ dkimEnabled: false }), dkimKey: null }))
    expect(cleared.dkim).toEqual({ key: null, record: null })
    expect(await engine.settings.dkimSigningKey()).toBeNull()
  })

  it('keys that cannot sign are refused under the key, in the admin’s words, and nothing is saved', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: testSettings() }))
    const file = join(engine.dataDir, 'settings.json')
    const before = readFileSync(file)
    const { privateKey: ec, publicKey: ecPublic } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString()
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString()
    const cases: [string, RegExp][] = [
      ['not a key at all', /cannot be read: paste the whole PEM block/],
      [pem(small), /512 bits; receivers ignore DKIM signatures made with keys under 1024 bits/],
      [pem(ec), /an EC \(ECDSA\) key; DKIM signs with RSA or Ed25519 keys only/],
      [ecPublic.export({ type: 'spki', format: 'pem' }).toString(), /public key or a certificate/],
      [encrypted, /protected by a passphrase/],
      // Cut short, as a paste that missed the end of the block.
      [pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).slice(0, 900), /cannot be read: paste the whole PEM block/],
      ['', /Paste the DKIM private key in PEM form/],
    ]
    for (const [text, message] of cases) {
      expect(fieldErrors(await api(engine, 'settings.update', { settings: signing(), dkimKey: { pem: text } })).dkimKey, text.slice(0, 40)).toMatch(message)
    }
    expect(readFileSync(file).equals(before)).toBe(true)
    expect(unwrap(await engine.call('settings.get', undefined)).dkim.key).toBeNull()
  })

  it('the selector and the domain are checked by the schema: a DNS name part, and the From Address’s domain or a parent of it', async () => {
    const engine = await open()
    unwrap(await api(engine, 'settings.update', { settings: testSettings() }))
    const { keyId } = unwrap(await api(engine, 'dkim.generateKey', { algorithm: 'ed25519' }))
    const errors = async (over: Partial<SettingsFields>) => fieldErrors(await api(engine, 'settings.update', { settings: signing(over), dkimKey: { generated: keyId } }))

    expect((await errors({ dkimSelector: 'mail_2025' })).dkimSelector).toMatch(/DKIM selector must be letters, digits and hyphens/)
    expect((await errors({ dkimSelector: 'mail 2025' })).dkimSelector).toMatch(/DKIM selector must be/)
    expect((await errors({ dkimSelector: '' })).dkimSelector).toBe('Enter the DKIM selector, such as mail2025: Sign with DKIM is on.')
    expect((await errors({ dkimDomain: 'other.example' })).dkimDomain).toBe(
      'DKIM domain must be example.test (the From Address’s domain) or a parent of it: receivers count a signature for DMARC only when its domain aligns with the From Address, so one for other.example would not help. Leave it blank to sign for example.test.',
    )
    expect((await errors({ dkimDomain: 'mail.example.test' })).dkimDomain).toMatch(/must be example\.test/)
    expect((await errors({ dkimDomain: 'not a domain' })).dkimDomain).toMatch(/DKIM domain must be a domain name such as example\.com/)
    expect((await errors({ fromAddress: 'alerts@[192.0.2.7]' })).dkimDomain).toMatch(/has no domain name to sign for/)
    expect(readFileSync(join(engine.dataDir, 'settings.json'), 'utf8')).toContain('"dkimKey": null')

    // A parent of the From domain aligns (relaxed); a selector may have dots; both are saved in lower case.
    const view = unwrap(await api(engine, 'settings.update', { settings: signing({ fromAddress: 'alerts@eu.mail.example.test', dkimDomain: 'Example.TEST', dkimSelector: '2025.Jan' }), dkimKey: { generated: keyId } }))
    expect(view.settings).toMatchObject({ dkimDomain: 'example.test', dkimSelector: '2025.jan' })
    expect(view.dkim.record!.name).toBe('2025.jan._domainkey.example.test')
    // With DKIM off, a stale selector or domain does not stop a save.
    unwrap(await api(engine, 'settings.update', { settings: signing({ dkimEnabled: false, dkimDomain: 'other.example', dkimSelector: '' }) }))
  })

  it('Sign with DKIM without a key is refused under the key, and a file that says DKIM is on without a key pauses delivery', async () => {
    let engine = await open()
    expect(fieldErrors(await api(engine, 'settings.update', { settings: signing() }))).toEqual({ dkimKey: 'Generate a DKIM private key or paste one: Sign with DKIM is on.' })
    const { keyId } = unwrap(await api(engine, 'dkim.generateKey', { algorithm: 'ed25519' }))
    unwrap(await api(engine, 'settings.update', { settings: signing(), dkimKey: { generated: keyId } }))
    await engine.close()
    engines.splice(engines.indexOf(engine), 1)

    const file = join(engine.dataDir, 'settings.json')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    delete stored.dkimKey
    writeFileSync(file, JSON.stringify(stored))
    engine = await open(engine.dataDir)
    const problem = unwrap(await engine.call('status.get', undefined)).settingsProblem
    expect(problem?.fields).toEqual(['DKIM private key'])
    expect(problem?.message).toMatch(/Sign with DKIM is on, and no key is stored/)
  })
})
