// Where each provider's token endpoint is, and the scope that lets its
// token send mail. SMTP_CONSOLE_OAUTH_ENDPOINT_OVERRIDE (tests only) points
// the Microsoft and Google endpoints at a server on loopback.

export const MICROSOFT_SCOPE = 'https://outlook.office365.com/.default'
export const GOOGLE_SCOPE = 'https://mail.google.com/'

const MICROSOFT_LOGIN = 'https://login.microsoftonline.com'
const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token'

/** The override's base, without a trailing slash; null when unset. */
function base(override: string | null | undefined): string | null {
  const v = override?.trim()
  return v ? v.replace(/\/+$/, '') : null
}

/** Microsoft identity platform v2.0 token endpoint of a tenant (its GUID or domain). */
export function microsoftTokenUrl(tenantId: string, override?: string | null): string {
  return `${base(override) ?? MICROSOFT_LOGIN}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`
}

/** Google's OAuth 2.0 token endpoint, the audience of a service account's assertion. */
export function googleTokenUrl(override?: string | null): string {
  const b = base(override)
  return b ? `${b}/token` : GOOGLE_TOKEN
}
