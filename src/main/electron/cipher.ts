import type { SafeStorage } from 'electron'
import type { SecretCipher } from '../core/settings/secrets.ts'

// The SASL password sealed by the operating system's keychain through
// safeStorage's async API, stored as base64. On Linux without a keyring
// safeStorage falls back to a key written in Chromium's source ("basic_text");
// that is weaker than the engine's own key file, so it is not used.

export type AsyncSafeStorage = Pick<SafeStorage, 'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>

const DESCRIPTION =
  "Encrypted by the operating system's keychain (Keychain on macOS, DPAPI on Windows, Secret Service or KWallet on Linux): only your account on this computer can read it."

/** The keychain cipher, or null when the OS offers none worth having (the engine then uses its key file). */
export async function createSafeStorageCipher(storage: AsyncSafeStorage, platform: NodeJS.Platform): Promise<SecretCipher | null> {
  if (!(await storage.isAsyncEncryptionAvailable())) return null
  if (platform === 'linux' && storage.getSelectedStorageBackend?.() === 'basic_text') return null
  return {
    kind: 'os',
    description: DESCRIPTION,
    async encrypt(plain) {
      const sealed = await storage.encryptStringAsync(plain)
      return Buffer.from(sealed).toString('base64')
    },
    async decrypt(sealed) {
      const { result } = await storage.decryptStringAsync(Buffer.from(sealed, 'base64'))
      return result
    },
  }
}
