// The port through which the SASL password is kept: the desktop app passes
// one backed by the OS keychain, plain Node uses a key file beside the data.

export interface SecretCipher {
  /** `os` is the OS keychain; `keyfile` is a key on the same disk as the data (weaker). */
  readonly kind: 'os' | 'keyfile'
  /** A sentence for the admin saying where the key lives and how strong that is. */
  readonly description: string
  encrypt(plain: string): Promise<string>
  decrypt(sealed: string): Promise<string>
  /**
   * The secret sealed anew when the method that sealed it says so (a rotated key,
   * or a key file's secret once the keychain is back); null to keep it as it is.
   * Throws, like decrypt, when it cannot be opened.
   */
  reseal?(sealed: string): Promise<string | null>
}

/** A stored secret that cannot be opened now (its keychain locked, its key file gone): no login is tried, and the message says why. */
export class SecretUnreadable extends Error {
  override name = 'SecretUnreadable'
}
