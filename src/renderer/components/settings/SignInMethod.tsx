import { SettingsRow as FieldRow } from './SettingsRow.tsx'
import { CLIENT_SECRET_LABEL, FIELD_LABELS, PRIVATE_KEY_LABEL, SERVICE_ACCOUNT_KEY_LABEL } from '../../../shared/labels.ts'
import { AUTH_METHODS, OAUTH_CREDENTIALS, type AuthMethod, type OAuthCredential, type SettingsView } from '../../../shared/settings.ts'
import type { Draft, FieldErrors } from '../../forms/SettingsForm.ts'

// Edit Settings, under Use SASL Authorization: how the console signs in to
// the relay, and each method's fields. Secrets are shown as set or not set,
// like the Password, and replaced by typing a new one.

export const AUTH_METHOD_LABELS: Record<AuthMethod, string> = {
  password: 'Password',
  'oauth-microsoft': 'OAuth 2.0 — Microsoft 365 (app-only)',
  'oauth-google': 'OAuth 2.0 — Google Workspace (service account)',
  'oauth-custom': 'OAuth 2.0 — other provider (client credentials)',
}

const CREDENTIAL_LABELS: Record<OAuthCredential, string> = {
  secret: 'Client secret',
  certificate: 'Certificate and private key',
}

/** What the admin sets up on the provider's side, one paragraph per method. */
const METHOD_HINTS: Record<AuthMethod, string> = {
  password: 'Log in with the Username and Password (the mechanisms the relay offers).',
  'oauth-microsoft':
    'An app registered in Microsoft Entra ID with the application permission Office 365 Exchange Online SMTP.SendAsApp (admin consent given), its service principal registered in Exchange Online and given FullAccess on the mailbox. The Username is that mailbox. Relay Host smtp.office365.com, Relay Port 587.',
  'oauth-google':
    'A service account with domain-wide delegation for the scope https://mail.google.com/ (Google Admin console, Security, API controls). It signs in as the Username, a user of the domain. Relay Host smtp.gmail.com, Relay Port 587.',
  'oauth-custom': 'Any provider that issues tokens by the client credentials grant (Keycloak, Okta, a corporate gateway): its Token URL, the client’s ID and secret, and the Scope the relay expects.',
}

/** The Username's hint: with OAuth 2.0 it is the mailbox the token sends as. */
export function usernameHint(draft: Pick<Draft, 'useSasl' | 'authMethod'>): string {
  if (!draft.useSasl) return 'Used only with Use SASL Authorization.'
  return draft.authMethod === 'password' ? '' : 'The mailbox to send as, its full email address.'
}

type InputProps = (key: string) => { id: string; 'aria-invalid': boolean | undefined; 'aria-describedby': string }

interface Props {
  draft: Draft
  view: SettingsView
  errors: FieldErrors
  input: InputProps
  change<K extends keyof Draft>(key: K, value: Draft[K]): void
}


/** A secret as the Password is shown: never its value, only whether one is saved; typing replaces it. */
function SecretRow({ label, field, saved, multiline, placeholder, ...p }: Props & { label: string; field: 'clientSecret' | 'privateKey' | 'serviceAccountKey'; saved: string | null; multiline?: boolean; placeholder?: string }) {
  const hint = saved ? `${saved} It is never shown: paste a new one to replace it, or leave blank to keep it.` : `Not set. Stored encrypted, like the Password, and never shown again.`
  const common = { ...p.input(field), value: p.draft[field], onChange: (e: { target: { value: string } }) => p.change(field, e.target.value), spellCheck: false, autoComplete: 'off' }
  return (
    <FieldRow label={saved ? `Replace ${label.charAt(0).toLowerCase()}${label.slice(1)}` : label} field={field} error={p.errors[field]} hint={hint}>
      {multiline ? <textarea {...common} rows={4} placeholder={placeholder} /> : <input type="password" {...common} autoComplete="new-password" />}
    </FieldRow>
  )
}

export function SignInMethod(props: Props) {
  const { draft, view, errors, input, change } = props
  if (!draft.useSasl) return null
  const method = draft.authMethod
  const text = (field: 'oauthTenantId' | 'oauthClientId' | 'oauthTokenUrl' | 'oauthScope', hint: string, placeholder = '') => (
    <FieldRow label={FIELD_LABELS[field]} field={field} error={errors[field]} hint={hint}>
      <input type="text" {...input(field)} value={draft[field]} onChange={(e) => change(field, e.target.value)} autoComplete="off" spellCheck={false} placeholder={placeholder} />
    </FieldRow>
  )
  return (
    <div className="sign-in-method">
      <FieldRow label={FIELD_LABELS.authMethod} field="authMethod" error={errors.authMethod} hint={METHOD_HINTS[method]}>
        <select {...input('authMethod')} value={method} onChange={(e) => change('authMethod', e.target.value as AuthMethod)}>
          {AUTH_METHODS.map((m) => (
            <option key={m} value={m}>
              {AUTH_METHOD_LABELS[m]}
            </option>
          ))}
        </select>
      </FieldRow>
      {method === 'oauth-microsoft' && (
        <>
          {text('oauthTenantId', 'Directory (tenant) ID from the app registration’s Overview, or the tenant’s domain (contoso.onmicrosoft.com).', '00000000-0000-0000-0000-000000000000')}
          {text('oauthClientId', 'Application (client) ID from the app registration’s Overview.', '00000000-0000-0000-0000-000000000000')}
          <FieldRow label={FIELD_LABELS.oauthCredential} field="oauthCredential" error={errors.oauthCredential} hint="How the app proves who it is: a client secret, or a certificate uploaded to the app registration (Microsoft’s recommendation).">
            <select {...input('oauthCredential')} value={draft.oauthCredential} onChange={(e) => change('oauthCredential', e.target.value as OAuthCredential)}>
              {OAUTH_CREDENTIALS.map((c) => (
                <option key={c} value={c}>
                  {CREDENTIAL_LABELS[c]}
                </option>
              ))}
            </select>
          </FieldRow>
          {draft.oauthCredential === 'secret' ? (
            <SecretRow {...props} label={CLIENT_SECRET_LABEL} field="clientSecret" saved={view.oauth.microsoft.hasClientSecret ? 'A client secret is set.' : null} />
          ) : (
            <>
              <FieldRow label={FIELD_LABELS.oauthCertificatePem} field="oauthCertificatePem" error={errors.oauthCertificatePem} hint="The certificate (PEM) uploaded to the app registration, Certificates & secrets.">
                <textarea {...input('oauthCertificatePem')} rows={4} value={draft.oauthCertificatePem} onChange={(e) => change('oauthCertificatePem', e.target.value)} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" />
              </FieldRow>
              <SecretRow {...props} label={PRIVATE_KEY_LABEL} field="privateKey" saved={view.oauth.microsoft.hasPrivateKey ? 'A private key is set.' : null} multiline placeholder="-----BEGIN PRIVATE KEY-----" />
            </>
          )}
        </>
      )}
      {method === 'oauth-google' && (
        <>
          <SecretRow
            {...props}
            label={SERVICE_ACCOUNT_KEY_LABEL}
            field="serviceAccountKey"
            saved={view.oauth.google.serviceAccount ? `A key of ${view.oauth.google.serviceAccount} is set.` : null}
            multiline
            placeholder='{ "type": "service_account", … }'
          />
          <div className="row">
            <span className="label" />
            <div className="row-control">
              <input
                type="file"
                aria-label={`Open a ${SERVICE_ACCOUNT_KEY_LABEL} file`}
                accept=".json,application/json"
                onChange={(e) => {
                  const file = e.target.files?.[0]
                  if (file) void file.text().then((t) => change('serviceAccountKey', t))
                }}
              />
            </div>
          </div>
        </>
      )}
      {method === 'oauth-custom' && (
        <>
          {text('oauthTokenUrl', 'The provider’s token endpoint; https:// (http:// only to this machine).', 'https://login.example.com/oauth2/token')}
          {text('oauthClientId', 'The ID the provider gave this client.')}
          <SecretRow {...props} label={CLIENT_SECRET_LABEL} field="clientSecret" saved={view.oauth.custom.hasClientSecret ? 'A client secret is set.' : null} />
          {text('oauthScope', 'Space-separated scopes the relay needs in the token; blank sends none.')}
        </>
      )}
    </div>
  )
}
