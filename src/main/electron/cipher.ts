import type { SafeStorage } from 'electron'
import type { SecretCipher } from '../core/settings/secrets.ts'

// The desktop app's secrets (the SASL password, OAuth 2.0 secrets, the DKIM key):
// sealed by the operating system's keychain through safeStorage's async API when
// it is there, else by the engine's key file. Each sealed value begins with the
// method that sealed it ('os1:' here, the key file's own 'gcm1:'), because the
// keychain can be present at one launch and missing at the next (a login keyring
// still locked at autostart, a desktop with only basic_text, a denied prompt):
// a secret is always opened by the method that sealed it, and re-sealed by the
// keychain once it is back or has rotated its key. Every keychain call is bounded,
// so start-up and quit never wait on a keychain that does not answer.

export type AsyncSafeStorage = Pick<SafeStorage, 'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>

/** Written before what the keychain sealed. Values without a method were sealed by the keychain before methods were recorded. */
export const KEYCHAIN_PREFIX = 'os1:'
/** KeyFileCipher's own prefix. */
const KEY_FILE_PREFIX = 'gcm1:'
/** How long the keychain gets to answer at start and per secret (a prompt answered later is still used). */
export const KEYCHAIN_TIMEOUT_MS = 5_000

const DESCRIPTION =
  "Encrypted by the operating system's keychain (Keychain on macOS, DPAPI on Windows, Secret Service or KWallet on Linux): only your account on this computer can read it."

interface Keychain {
  usable: boolean
  /** Why it cannot be used, in words that follow "not available now". */
  why: string
}

export interface DesktopCipherOptions {
  platform: NodeJS.Platform
  /** The engine's key file, for when there is no keychain and for what it sealed. */
  keyFile: SecretCipher
  timeoutMs?: number
}

/** Resolves with the promise's value, or null when it has not settled in `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The desktop cipher; waits at most `timeoutMs` for the keychain to say whether it is there. */
export async function createDesktopCipher(storage: AsyncSafeStorage, options: DesktopCipherOptions): Promise<SecretCipher> {
  const { platform, keyFile } = options
  const timeoutMs = options.timeoutMs ?? KEYCHAIN_TIMEOUT_MS
  const silence = `it did not answer within ${Math.round(timeoutMs / 100) / 10} s (locked, or waiting for an answer to its prompt)`

  let known: Keychain | null = null
  const probe: Promise<Keychain> = (async () => {
    if (!(await storage.isAsyncEncryptionAvailable())) return { usable: false, why: 'it is locked or not set up' }
    // Chromium's fallback on a Linux desktop without a keyring encrypts with a key written in its source: weaker than the key file.
    if (platform === 'linux' && storage.getSelectedStorageBackend?.() === 'basic_text') {
      return { usable: false, why: "no keyring was found, only Linux's basic_text store, whose key is public" }
    }
    return { usable: true, why: '' }
  })().catch((error: unknown) => ({ usable: false, why: `it failed: ${(error as Error).message}` }))
  void probe.then((answer) => {
    known = answer
  })
  const keychain = async (): Promise<Keychain> => known ?? (await within(probe, timeoutMs)) ?? { usable: false, why: silence }

  /** A keychain call that answers in time, or an error saying it did not. */
  const bounded = async <T>(call: Promise<T>): Promise<T> => {
    const answer = await within(call.then((value) => ({ value })), timeoutMs)
    if (!answer) throw new Error(`the OS keychain is not available now: ${silence}`)
    return answer.value
  }

  const openSealedByKeychain = async (sealed: string): Promise<{ result: string; shouldReEncrypt: boolean }> => {
    const state = await keychain()
    if (!state.usable) {
      throw new Error(`it was sealed by the OS keychain, which is not available now: ${state.why}. Unlock the keychain (on Linux, the login keyring) and restart SMTP Console`)
    }
    const body = sealed.startsWith(KEYCHAIN_PREFIX) ? sealed.slice(KEYCHAIN_PREFIX.length) : sealed
    return bounded(storage.decryptStringAsync(Buffer.from(body, 'base64')))
  }

  const sealWithKeychain = async (plain: string): Promise<string> => KEYCHAIN_PREFIX + Buffer.from(await bounded(storage.encryptStringAsync(plain))).toString('base64')

  await keychain()
  return {
    get kind() {
      return known?.usable ? 'os' : 'keyfile'
    },
    get description() {
      if (known?.usable) return DESCRIPTION
      return `The OS keychain is not available now (${known?.why ?? silence}), so secrets entered now are sealed with a key file; they are sealed by the keychain again at a start where it is back. ${keyFile.description}`
    },
    async encrypt(plain) {
      if (!(await keychain()).usable) return keyFile.encrypt(plain)
      try {
        return await sealWithKeychain(plain)
      } catch (error) {
        // A keychain that refuses (a denied prompt) leaves the key file for the rest of this launch.
        known = { usable: false, why: `it refused to seal: ${(error as Error).message}` }
        return keyFile.encrypt(plain)
      }
    },
    async decrypt(sealed) {
      if (sealed.startsWith(KEY_FILE_PREFIX)) return keyFile.decrypt(sealed)
      return (await openSealedByKeychain(sealed)).result
    },
    async reseal(sealed) {
      if (sealed.startsWith(KEY_FILE_PREFIX)) {
        if (!(await keychain()).usable) return null
        return sealWithKeychain(await keyFile.decrypt(sealed))
      }
      const { result, shouldReEncrypt } = await openSealedByKeychain(sealed)
      // Sealed before methods were recorded, or under a key the keychain has since rotated.
      if (!sealed.startsWith(KEYCHAIN_PREFIX) || shouldReEncrypt) return sealWithKeychain(result)
      return null
    },
  }
}
