import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSafeStorageCipher, type AsyncSafeStorage } from '../../src/main/electron/cipher.ts'

// safeStorage's contract with real encryption behind it (AES-256-GCM under a
// key held in memory), since the OS keychain is not reachable from a test.
function keyringStorage(options: { available?: boolean; backend?: ReturnType<NonNullable<AsyncSafeStorage['getSelectedStorageBackend']>> } = {}): AsyncSafeStorage {
  const key = randomBytes(32)
  return {
    isAsyncEncryptionAvailable: async () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptStringAsync: async (plain) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body])
    },
    decryptStringAsync: async (sealed) => {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
      decipher.setAuthTag(sealed.subarray(12, 28))
      const result = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')
      return { result, shouldReEncrypt: false }
    },
  }
}

describe('createSafeStorageCipher', () => {
  it('seals to base64 that does not contain the password and opens it again', async () => {
    const cipher = await createSafeStorageCipher(keyringStorage(), 'linux')
    expect(cipher?.kind).toBe('os')
    const sealed = await cipher!.encrypt('s3cret-päss')
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('s3cret')
    expect(await cipher!.decrypt(sealed)).toBe('s3cret-päss')
  })

  it('gives no cipher when the OS has no encryption, so the engine uses its key file', async () => {
    expect(await createSafeStorageCipher(keyringStorage({ available: false }), 'win32')).toBeNull()
  })

  it("refuses Linux's basic_text store, whose key is public, but not the same name elsewhere", async () => {
    expect(await createSafeStorageCipher(keyringStorage({ backend: 'basic_text' }), 'linux')).toBeNull()
    expect(await createSafeStorageCipher(keyringStorage({ backend: 'basic_text' }), 'darwin')).not.toBeNull()
  })
})
