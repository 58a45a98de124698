// The port through which the SASL password is kept: the desktop app passes
// one backed by the OS keychain, plain Node uses a key file beside the data.

export interface SecretCipher {
  /** `os` is the OS keychain; `keyfile` is a key on the same disk as the data (weaker). */
  readonly kind: 'os' | 'keyfile'
  /** A sentence for the admin saying where the key lives and how strong that is. */
  readonly description: string
  encrypt(plain: string): Promise<string>
  decrypt(sealed: string): Promise<string>
}
