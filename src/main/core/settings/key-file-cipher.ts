import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SecretCipher } from './secrets.ts'

// Outside the desktop app there is no OS keychain: the password is sealed with
// AES-256-GCM under a random key kept in a file only this user can read. That
// keeps it out of the settings file and out of backups of it, but anyone who
// can read the data directory can read both; the console says so.

const PREFIX = 'gcm1:'

export class KeyFileCipher implements SecretCipher {
  readonly kind = 'keyfile' as const
  readonly description: string
  private readonly keyPath: string
  private key: Buffer | null = null

  constructor(dataDir: string) {
    this.keyPath = join(dataDir, 'secret.key')
    this.description = `Encrypted with a key file (${this.keyPath}, readable only by you). This is weaker than the OS keychain the desktop app uses: anyone who can read the data directory can recover the password.`
  }

  private loadKey(create: boolean): Buffer {
    if (this.key) return this.key
    if (!create && !existsSync(this.keyPath)) {
      // A new key could never open what the old one sealed.
      throw new Error(`the key file ${this.keyPath} is missing`)
    }
    if (existsSync(this.keyPath)) {
      const key = readFileSync(this.keyPath)
      if (key.length !== 32) throw new Error(`The key file ${this.keyPath} is damaged (it must hold 32 bytes). Enter the password again after moving it aside.`)
      this.key = key
    } else {
      const key = randomBytes(32)
      writeFileSync(this.keyPath, key, { mode: 0o600, flag: 'wx' })
      this.key = key
    }
    chmodSync(this.keyPath, 0o600)
    return this.key
  }

  async encrypt(plain: string): Promise<string> {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(true), iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
  }

  async decrypt(sealed: string): Promise<string> {
    if (!sealed.startsWith(PREFIX)) throw new Error('The stored password was sealed by another method; enter it again.')
    const buf = Buffer.from(sealed.slice(PREFIX.length), 'base64')
    const decipher = createDecipheriv('aes-256-gcm', this.loadKey(false), buf.subarray(0, 12))
    decipher.setAuthTag(buf.subarray(12, 28))
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8')
  }
}
