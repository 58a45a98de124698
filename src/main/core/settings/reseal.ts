import { CLIENT_SECRET_LABEL, DKIM_KEY_LABEL, PASSWORD_LABEL, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL } from '../../../shared/labels.ts'
import type { SecretCipher } from './secrets.ts'
import type { Stored } from './settings-store.ts'

// Every sealed secret of the settings given to the cipher's reseal: the keychain
// back after a launch without it, or a key it rotated. What cannot be opened now
// is kept as it is, with why, for the event log.

export async function resealStored(
  before: Stored,
  reseal: NonNullable<SecretCipher['reseal']>,
): Promise<{ stored: Stored; resealed: string[]; unreadable: string[] }> {
  const resealed: string[] = []
  const unreadable: string[] = []
  const again = async <T extends string | null>(sealed: T, label: string): Promise<T> => {
    if (sealed === null) return sealed
    try {
      const next = await reseal(sealed)
      if (next === null) return sealed
      resealed.push(label)
      return next as T
    } catch (err) {
      unreadable.push(`The stored ${label} cannot be decrypted (${(err as Error).message}).`)
      return sealed
    }
  }
  const o = before.oauth
  const stored: Stored = {
    settings: before.settings,
    password: await again(before.password, PASSWORD_LABEL),
    oauth: {
      microsoftSecret: await again(o.microsoftSecret, CLIENT_SECRET_LABEL),
      microsoftKey: await again(o.microsoftKey, PRIVATE_KEY_LABEL),
      customSecret: await again(o.customSecret, CLIENT_SECRET_LABEL),
      google: o.google && { ...o.google, privateKey: await again(o.google.privateKey, SERVICE_ACCOUNT_KEY_LABEL) },
    },
    dkimKey: before.dkimKey && { ...before.dkimKey, sealed: await again(before.dkimKey.sealed, DKIM_KEY_LABEL) },
  }
  return { stored, resealed, unreadable }
}
