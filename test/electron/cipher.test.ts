import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createDesktopCipher, KEYCHAIN_PREFIX, type AsyncSafeStorage } from '../../src/main/electron/cipher.ts'
import { KeyFileCipher } from '../../src/main/core/settings/key-file-cipher.ts'
import { removeDir, tempDir } from '../helpers/engine.ts'

// safeStorage's contract with real encryption behind it (AES-256-GCM under
// keys held in memory, one per key version), since the OS keychain is not
// reachable from a test; the key file is the engine's own, in a temp directory.

interface Keyring {
  storage: AsyncSafeStorage
  /** Rotates the key: what the old one sealed still opens, with shouldReEncrypt. */
  rotate(): void
  /** Lets a keychain that has not answered answer now. */
  answer(available: boolean): void
}

type Backend = ReturnType<NonNullable<AsyncSafeStorage['getSelectedStorageBackend']>>

function keyring(options: { available?: boolean | 'later'; backend?: Backend } = {}): Keyring {
  const keys = [randomBytes(32)]
  let answer: (available: boolean) => void = () => {}
  const available =
    options.available === 'later' ? new Promise<boolean>((resolve) => (answer = resolve)) : Promise.resolve(options.available ?? true)
  return {
    storage: {
      isAsyncEncryptionAvailable: () => available,
      getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
      encryptStringAsync: async (plain) => {
        if (!(await available)) throw new Error('Encryption is not available.')
        const iv = randomBytes(12)
        const cipher = createCipheriv('aes-256-gcm', keys.at(-1)!, iv)
        const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
        return Buffer.concat([Buffer.from([keys.length - 1]), iv, cipher.getAuthTag(), body])
      },
      decryptStringAsync: async (sealed) => {
        if (!(await available)) throw new Error('Encryption is not available.')
        const version = sealed[0]!
        const decipher = createDecipheriv('aes-256-gcm', keys[version]!, sealed.subarray(1, 13))
        decipher.setAuthTag(sealed.subarray(13, 29))
        const result = Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8')
        return { result, shouldReEncrypt: version < keys.length - 1 }
      },
    },
    rotate: () => keys.push(randomBytes(32)),
    answer: (value) => answer(value),
  }
}

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) removeDir(dirs.pop()!)
})

function keyFile(): KeyFileCipher {
  const dir = tempDir('smtp-console-cipher-')
  dirs.push(dir)
  return new KeyFileCipher(dir)
}

describe('createDesktopCipher', () => {
  it('seals with the keychain, recording it, to text that does not contain the password, and opens it again', async () => {
    const cipher = await createDesktopCipher(keyring().storage, { platform: 'linux', keyFile: keyFile() })
    expect(cipher.kind).toBe('os')
    const sealed = await cipher.encrypt('s3cret-päss')
    expect(sealed.startsWith(KEYCHAIN_PREFIX)).toBe(true)
    expect(sealed.slice(KEYCHAIN_PREFIX.length)).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(sealed.slice(KEYCHAIN_PREFIX.length), 'base64').toString('latin1')).not.toContain('s3cret')
    expect(await cipher.decrypt(sealed)).toBe('s3cret-päss')
    expect(await cipher.reseal!(sealed)).toBeNull()
  })

  it('uses the key file when the OS has no encryption, and says so', async () => {
    const cipher = await createDesktopCipher(keyring({ available: false }).storage, { platform: 'win32', keyFile: keyFile() })
    expect(cipher.kind).toBe('keyfile')
    expect(cipher.description).toMatch(/OS keychain is not available now \(it is locked or not set up\)/)
    const sealed = await cipher.encrypt('pw')
    expect(sealed).toMatch(/^gcm1:/)
    expect(await cipher.decrypt(sealed)).toBe('pw')
  })

  it("refuses Linux's basic_text store, whose key is public, but not the same name elsewhere", async () => {
    const linux = await createDesktopCipher(keyring({ backend: 'basic_text' }).storage, { platform: 'linux', keyFile: keyFile() })
    expect(linux.kind).toBe('keyfile')
    expect(linux.description).toMatch(/basic_text/)
    expect((await createDesktopCipher(keyring({ backend: 'basic_text' }).storage, { platform: 'darwin', keyFile: keyFile() })).kind).toBe('os')
  })

  it('opens each secret with the method that sealed it, whatever this launch found', async () => {
    const file = keyFile()
    const ring = keyring()
    const withKeychain = await createDesktopCipher(ring.storage, { platform: 'linux', keyFile: file })
    const byKeychain = await withKeychain.encrypt('sealed by the keychain')

    // A later launch with the keychain locked: the key file seals, and the keychain's secret is named as such.
    const locked = await createDesktopCipher(keyring({ available: false }).storage, { platform: 'linux', keyFile: file })
    await expect(locked.decrypt(byKeychain)).rejects.toThrow(/sealed by the OS keychain, which is not available now: it is locked or not set up\. Unlock the keychain/)
    await expect(locked.reseal!(byKeychain)).rejects.toThrow(/sealed by the OS keychain/)
    const byKeyFile = await locked.encrypt('sealed by the key file')
    expect(await locked.reseal!(byKeyFile)).toBeNull()

    // The keychain is back: both open, and the key file's secret is sealed by the keychain again.
    expect(await withKeychain.decrypt(byKeyFile)).toBe('sealed by the key file')
    expect(await withKeychain.decrypt(byKeychain)).toBe('sealed by the keychain')
    const upgraded = await withKeychain.reseal!(byKeyFile)
    expect(upgraded?.startsWith(KEYCHAIN_PREFIX)).toBe(true)
    expect(await withKeychain.decrypt(upgraded!)).toBe('sealed by the key file')
  })

  it('reads what earlier versions sealed without a method, and records it when sealing again', async () => {
    const ring = keyring()
    const cipher = await createDesktopCipher(ring.storage, { platform: 'linux', keyFile: keyFile() })
    const legacy = Buffer.from(await ring.storage.encryptStringAsync('from 0.1')).toString('base64')
    expect(await cipher.decrypt(legacy)).toBe('from 0.1')
    const again = await cipher.reseal!(legacy)
    expect(again?.startsWith(KEYCHAIN_PREFIX)).toBe(true)
    expect(await cipher.decrypt(again!)).toBe('from 0.1')
  })

  it('seals again when safeStorage says shouldReEncrypt (a rotated key)', async () => {
    const ring = keyring()
    const cipher = await createDesktopCipher(ring.storage, { platform: 'linux', keyFile: keyFile() })
    const sealed = await cipher.encrypt('pw')
    ring.rotate()
    const again = await cipher.reseal!(sealed)
    expect(again).not.toBeNull()
    expect(again).not.toBe(sealed)
    expect(await cipher.reseal!(again!)).toBeNull()
    expect(await cipher.decrypt(again!)).toBe('pw')
  })

  it('waits a bounded time for a keychain that does not answer, and uses its answer once it comes', async () => {
    const ring = keyring({ available: 'later' })
    const file = keyFile()
    const byKeychain = await (await createDesktopCipher(keyring().storage, { platform: 'linux', keyFile: file })).encrypt('pw')
    const cipher = await createDesktopCipher(ring.storage, { platform: 'linux', keyFile: file, timeoutMs: 50 })
    expect(cipher.kind).toBe('keyfile')
    expect(cipher.description).toMatch(/did not answer within 0\.1 s/)
    await expect(cipher.decrypt(byKeychain)).rejects.toThrow(/did not answer/)
    expect(await cipher.encrypt('entered meanwhile')).toMatch(/^gcm1:/)
    ring.answer(true)
    await expect.poll(() => cipher.kind).toBe('os')
    expect(await cipher.encrypt('later')).toMatch(/^os1:/)
  })
})
