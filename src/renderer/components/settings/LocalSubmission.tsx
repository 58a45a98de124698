import { useEffect, useState } from 'react'
import { SettingsRow as Field } from './SettingsRow.tsx'
import { FIELD_LABELS, LISTEN_PASSWORD_LABEL } from '../../../shared/labels.ts'
import { isLoopback } from '../../../shared/settings.ts'
import type { ListenDraft } from '../../forms/listenDraft.ts'

// Edit Settings → Advanced → Local submission: the SMTP listener that takes
// the system's own mail (cron, monitoring, scripts) into the queue.

interface Props {
  draft: ListenDraft
  hasPassword: boolean
  errors: Record<string, string>
  onChange(next: ListenDraft): void
}

export function LocalSubmission({ draft, hasPassword, errors, onChange }: Props) {
  const set = <K extends keyof ListenDraft>(key: K, value: ListenDraft[K]) => onChange({ ...draft, [key]: value })
  const input = (field: string) => ({
    id: `settings-${field}`,
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': [errors[field] ? `settings-${field}-error` : null, `settings-${field}-hint`].filter(Boolean).join(' '),
  })
  const off = !draft.enabled
  // Off, the fields rest; one that Submit refused stays open until the listener is turned on again, or a bad
  // value typed before turning it off could not be mended (its error goes at the first key, the field must not).
  const [mending, setMending] = useState<ReadonlySet<string>>(new Set())
  const refused = Object.keys(errors).filter((f) => f.startsWith('listen') && !mending.has(f))
  useEffect(() => {
    if (!off) setMending(new Set())
    else if (refused.length) setMending((m) => new Set([...m, ...refused]))
  }, [off, refused.join(' ')])
  const resting = (field: string) => off && !errors[field] && !mending.has(field)
  const address = draft.address.trim()
  const open = address !== '' && !isLoopback(address)
  const portHint = `Clients send to ${address.includes(':') ? `[${address}]` : address || '127.0.0.1'}:${draft.port.trim() || '2525'}, as to any SMTP server (swaks, msmtp, sendmail-compatible tools).`
  return (
    <fieldset className="listen-settings">
      <legend>Local submission</legend>
      <Field label={FIELD_LABELS.listenEnabled} field="listenEnabled" error={errors.listenEnabled} hint="Accept mail from programs on this system over SMTP and deliver it like any queued message." check>
        <input type="checkbox" {...input('listenEnabled')} checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
      </Field>
      <Field label={FIELD_LABELS.listenAddress} field="listenAddress" error={errors.listenAddress} hint={open ? 'Reachable from other machines: Require AUTH and Offer STARTTLS must be on.' : '127.0.0.1 takes mail from this machine only (::1 too, where it exists).'}>
        <input type="text" {...input('listenAddress')} value={draft.address} disabled={resting('listenAddress')} onChange={(e) => set('address', e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <Field label={FIELD_LABELS.listenPort} field="listenPort" error={errors.listenPort} hint={portHint}>
        <input type="text" inputMode="numeric" className="short" {...input('listenPort')} value={draft.port} disabled={resting('listenPort')} onChange={(e) => set('port', e.target.value)} autoComplete="off" />
      </Field>
      <Field label={FIELD_LABELS.listenRequireAuth} field="listenRequireAuth" error={errors.listenRequireAuth} hint="Clients must log in (AUTH PLAIN or LOGIN) with the username and password below." check>
        <input type="checkbox" {...input('listenRequireAuth')} checked={draft.requireAuth} disabled={resting('listenRequireAuth')} onChange={(e) => set('requireAuth', e.target.checked)} />
      </Field>
      <Field label={FIELD_LABELS.listenUsername} field="listenUsername" error={errors.listenUsername} hint="">
        <input type="text" {...input('listenUsername')} value={draft.username} disabled={resting('listenUsername') || !draft.requireAuth} onChange={(e) => set('username', e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <Field label={hasPassword ? `Replace ${LISTEN_PASSWORD_LABEL.toLowerCase()}` : LISTEN_PASSWORD_LABEL} field="listenPassword" error={errors.listenPassword} hint={hasPassword ? 'A password is set and never shown. Type a new one to replace it, or leave blank to keep it.' : 'No password is set.'}>
        <input type="password" {...input('listenPassword')} value={draft.password} disabled={off || !draft.requireAuth || draft.clearPassword} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" />
      </Field>
      {hasPassword && (
        <Field label={`Clear ${LISTEN_PASSWORD_LABEL.toLowerCase()}`} field="listenClearPassword" hint="Removes the saved password when you Submit." check>
          <input type="checkbox" {...input('listenClearPassword')} checked={draft.clearPassword} onChange={(e) => set('clearPassword', e.target.checked)} />
        </Field>
      )}
      <Field label={FIELD_LABELS.listenStarttls} field="listenStarttls" error={errors.listenStarttls} hint="Clients can encrypt the session; blank files below use a certificate made for this console in its data directory." check>
        <input type="checkbox" {...input('listenStarttls')} checked={draft.starttls} disabled={resting('listenStarttls')} onChange={(e) => set('starttls', e.target.checked)} />
      </Field>
      <Field label={FIELD_LABELS.listenCertFile} field="listenCertFile" error={errors.listenCertFile} hint="PEM file; blank for the console's own certificate.">
        <input type="text" {...input('listenCertFile')} value={draft.certFile} disabled={resting('listenCertFile') || !draft.starttls} onChange={(e) => set('certFile', e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <Field label={FIELD_LABELS.listenKeyFile} field="listenKeyFile" error={errors.listenKeyFile} hint="PEM file of the certificate's private key.">
        <input type="text" {...input('listenKeyFile')} value={draft.keyFile} disabled={resting('listenKeyFile') || !draft.starttls} onChange={(e) => set('keyFile', e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
    </fieldset>
  )
}

