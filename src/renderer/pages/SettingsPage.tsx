import '../zod-config.ts'
import { SettingsRow as Row } from '../components/settings/SettingsRow.tsx'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { FIELD_LABELS, formLabel, PASSWORD_LABEL } from '../../shared/labels.ts'
import { effectiveRelayPort, effectiveTls, SASL_WITHOUT_TLS_NOTE } from '../../shared/settings.ts'
import { ErrorNotice } from '../components/Notices.tsx'
import { ProviderPreset } from '../components/settings/ProviderPreset.tsx'
import { DkimSettings } from '../components/settings/DkimSettings.tsx'
import { ConnectionResults } from '../components/troubleshooting/ConnectionResults.tsx'
import { useDiagnosticsRun } from '../hooks/useDiagnosticsRun.ts'
import { LocalSubmission } from '../components/settings/LocalSubmission.tsx'
import { listenFieldsChanged, type ListenDraft } from '../forms/listenDraft.ts'
import { useSlice, useStores } from '../stores/index.ts'
import { KEYFILE_WARNING, NO_VERIFY_WARNING, PLAIN_AUTH_WARNING } from './Dashboard.tsx'
import { ADVANCED_FIELDS, buildUpdate, toDraft, type Draft, type FieldErrors } from '../forms/SettingsForm.ts'
import { TLS_CHOICE_LABELS, tlsChoiceHint, tlsChoiceOf, tlsFieldsOf, type TlsChoice } from '../forms/tlsChoice.ts'
import { SignInMethod, usernameHint } from '../components/settings/SignInMethod.tsx'
import { NotOnPostfix, PostfixOwnNote, usePostfixSave } from '../components/settings/PostfixSave.tsx'
import type { ApiError, ApiRequest } from '../../shared/api.ts'

// Edit Settings: the seed's fields, then the collapsed Advanced section.
// Checked with the shared schema before Submit; main's field errors shown the same way.

export function SettingsPage({ focus }: { focus?: string | null }) {
  const { settings } = useStores()
  const { view, error: loadError } = useSlice(settings, (s) => s)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const [saving, setSaving] = useState(false)
  const [advancedOpen, setAdvancedOpen] = useState(false)
  const formRef = useRef<HTMLFormElement>(null)
  const connectionCheck = useDiagnosticsRun()
  // On a Postfix server Submit shows main.cf's changed lines first, and the fields it would refuse are not offered.
  const postfixSave = usePostfixSave({ view, save, showError: showApiError, undone: (v) => (setErrors({}), setSaved(false), setDraft(toDraft(v))) })
  const { postfix } = postfixSave

  useEffect(() => {
    void settings.getState().load()
  }, [settings])

  // The draft starts from what is saved; later pushes do not overwrite the admin's edits.
  useEffect(() => {
    if (view && !draft) setDraft(toDraft(view))
  }, [view, draft])

  // A link from Troubleshooting names the field to look at.
  const ready = draft !== null
  useEffect(() => {
    if (!draft || !focus) return
    if (ADVANCED_FIELDS.has(focus)) setAdvancedOpen(true)
    return focusWhenShown(`settings-${onForm(focus)}`)
  }, [focus, ready])

  if (!draft || !view || !postfixSave.ready) {
    return loadError ? <ErrorNotice error={loadError} title="The settings could not be read." /> : <p className="muted">Loading settings…</p>
  }

  const hasPassword = view.hasPassword
  const hasDkimKey = view.dkim.key !== null

  function change<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => (d ? { ...d, [key]: value } : d))
    setSaved(false)
    postfixSave.clearNotice()
    const field = key === 'tlsMode' ? 'useTls' : key === 'clearPassword' ? 'password' : key === 'maxQueueLifetimeDays' ? 'maxQueueLifetimeSec' : key === 'maxMessageSizeMiB' ? 'maxMessageSizeBytes' : DKIM_KEY_DRAFT.has(key) ? 'dkimKey' : key
    // Local submission is one draft key: its changed inputs name the fields.
    const fields = key === 'listen' ? listenFieldsChanged(draft!.listen, value as ListenDraft) : [field]
    if (fields.some((f) => errors[f])) setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !fields.includes(k))))
  }

  function showErrors(found: FieldErrors) {
    // TLS mode is part of the Use TLS choice: its error shows there.
    const { tlsMode, ...rest } = found
    setErrors(tlsMode && !rest.useTls ? { ...rest, useTls: tlsMode } : found)
    if (Object.keys(found).some((k) => ADVANCED_FIELDS.has(k))) setAdvancedOpen(true)
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
  }

  function showApiError(error: ApiError) {
    const fields = error.fields ?? {}
    const onThisForm = (k: string) => formRef.current?.querySelector(`#settings-${onForm(k)}`) != null
    const elsewhere = Object.entries(fields).filter(([k, m]) => !onThisForm(k) && m !== error.message).map(([, m]) => m)
    const allOnForm = Object.keys(fields).length > 0 && elsewhere.length === 0 && Object.keys(fields).every(onThisForm)
    setFormError(allOnForm ? 'Some fields need attention: see the messages under them.' : [error.message, ...elsewhere].join(' '))
    showErrors(fields)
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (!draft || saving) return
    setSaved(false)
    setFormError(null)
    const { update, errors: found } = buildUpdate(draft, hasPassword, { oauth: view?.oauth, hasDkimKey, hasListenPassword: view?.hasListenPassword ?? false })
    if (!update) {
      showErrors(found)
      return
    }
    if (postfix) {
      setErrors({})
      return postfixSave.submit(update)
    }
    await save(update)
  }

  async function save(update: ApiRequest<'settings.update'>): Promise<boolean> {
    setSaving(true)
    setFormError(null)
    const result = await settings.getState().save(update)
    setSaving(false)
    if (!result.ok) {
      showApiError(result.error)
      return false
    }
    setErrors({})
    setDraft(toDraft(result.data))
    setSaved(true)
    postfixSave.saved()
    return true
  }

  // Check connection: the relay or direct checks on the form's values, saved or not.
  async function checkConnection() {
    if (!draft) return
    const { update, errors: found } = buildUpdate(draft, hasPassword)
    if (!update) return showErrors(found)
    const error = await connectionCheck.run({ ...update, scope: 'connection' })
    if (error?.fields) showErrors(error.fields)
  }

  function focusField(field: string) {
    if (ADVANCED_FIELDS.has(field)) setAdvancedOpen(true)
    focusWhenShown(`settings-${onForm(field)}`)
  }

  const input = (key: string) => ({
    id: `settings-${key}`,
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': [errors[key] ? `settings-${key}-error` : null, `settings-${key}-hint`].filter(Boolean).join(' '),
  })

  const portNumber = /^\d+$/.test(draft.relayPort.trim()) ? Number(draft.relayPort) : null
  const connection = { useTls: draft.useTls, tlsMode: draft.tlsMode, relayHost: draft.relayHost.trim(), relayPort: portNumber }
  const tls = effectiveTls(connection)
  const blankPort = effectiveRelayPort({ ...connection, relayPort: null })
  const tlsChoice = tlsChoiceOf(draft)
  function pickTls(choice: TlsChoice) {
    const fields = tlsFieldsOf(choice, draft!.tlsMode)
    change('useTls', fields.useTls)
    change('tlsMode', fields.tlsMode)
  }
  const portHint =
    connection.relayHost === ''
      ? 'Blank for direct sending: port 25 of each recipient’s mail server.'
      : `blank = ${blankPort} with ${tls === 'none' ? 'no TLS' : tls === 'implicit' ? 'implicit TLS' : tls === 'opportunistic' ? 'STARTTLS when offered' : 'STARTTLS'}. Usual ports: 25 (unencrypted), 587 (STARTTLS), 465 (implicit TLS).`
  // Said before Submit, not discovered in the queue: with Use TLS off the password needs the relay's STARTTLS.
  const saslWithoutTls =
    draft.useSasl && !draft.useTls
      ? draft.allowPlainAuth
        ? PLAIN_AUTH_WARNING
        : SASL_WITHOUT_TLS_NOTE
      : null

  return (
    <form ref={formRef} className="settings-form" noValidate onSubmit={submit} aria-label="Edit Settings">
      {formError && (
        <div className="notice notice-error" role="alert">
          {formError}
        </div>
      )}
      {!draft.verifyCertificate && (
        <p className="notice notice-warning" role="note">
          {NO_VERIFY_WARNING}
        </p>
      )}

      {postfixSave.intro}
      <ProviderPreset draft={draft} onApply={(patch) => (Object.keys(patch) as (keyof typeof patch)[]).forEach((k) => change(k, patch[k]!))} />
      <Row label={FIELD_LABELS.useTls} htmlFor="settings-useTls" error={errors.useTls} field="useTls" hint={tlsChoiceHint(tlsChoice, connection.relayHost === '')}>
        <select {...input('useTls')} value={tlsChoice} onChange={(e) => pickTls(e.target.value as TlsChoice)}>
          {(Object.keys(TLS_CHOICE_LABELS) as TlsChoice[]).map((choice) => (
            <option key={choice} value={choice}>
              {TLS_CHOICE_LABELS[choice]}
            </option>
          ))}
        </select>
      </Row>
      <Row label={FIELD_LABELS.hostname} htmlFor="settings-hostname" error={errors.hostname} field="hostname" hint="A fully qualified domain name that resolves to this system, used in EHLO and the Message-ID.">
        <input type="text" {...input('hostname')} value={draft.hostname} onChange={(e) => change('hostname', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>
      <Row label={FIELD_LABELS.fromName} htmlFor="settings-fromName" error={errors.fromName} field="fromName" hint="The display name in the From header.">
        <input type="text" {...input('fromName')} value={draft.fromName} onChange={(e) => change('fromName', e.target.value)} autoComplete="off" />
      </Row>
      <Row label={FIELD_LABELS.fromAddress} htmlFor="settings-fromAddress" error={errors.fromAddress} field="fromAddress" hint="The address messages come from.">
        <input type="email" {...input('fromAddress')} value={draft.fromAddress} onChange={(e) => change('fromAddress', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>
      <Row label={FIELD_LABELS.relayHost} htmlFor="settings-relayHost" error={errors.relayHost} field="relayHost" hint="Address of the relay server; blank for direct sending to each recipient’s mail server.">
        <input type="text" {...input('relayHost')} value={draft.relayHost} onChange={(e) => change('relayHost', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>
      <Row label={FIELD_LABELS.relayPort} htmlFor="settings-relayPort" error={errors.relayPort} field="relayPort" hint={portHint}>
        <input type="text" inputMode="numeric" className="short" {...input('relayPort')} value={draft.relayPort} onChange={(e) => change('relayPort', e.target.value)} autoComplete="off" />
      </Row>
      <Row
        label={FIELD_LABELS.useSasl}
        htmlFor="settings-useSasl"
        error={errors.useSasl}
        field="useSasl"
        hint={saslHint(postfix)}
        check
      >
        <input type="checkbox" {...input('useSasl')} checked={draft.useSasl} onChange={(e) => change('useSasl', e.target.checked)} />
      </Row>
      {/* Postfix signs in with smtp_sasl_password_maps only: no OAuth 2.0. */}
      <NotOnPostfix postfix={postfix}>
        <SignInMethod draft={draft} view={view} errors={errors} input={input} change={change} />
      </NotOnPostfix>
      <Row label={FIELD_LABELS.username} htmlFor="settings-username" error={errors.username} field="username" hint={usernameHint(draft)}>
        <input type="text" {...input('username')} value={draft.username} disabled={!draft.useSasl} onChange={(e) => change('username', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>
      {draft.useSasl && draft.authMethod !== 'password' ? null : hasPassword ? (
        <>
          <div className="row">
            <span className="label">{PASSWORD_LABEL}</span>
            <div className="row-control">
              <p className="password-set">A password is set.</p>
            </div>
          </div>
          <Row label="Replace password" htmlFor="settings-password" error={errors.password} field="password" hint="The saved password is never shown. Type a new one to replace it, or leave blank to keep it.">
            <input
              type="password"
              {...input('password')}
              value={draft.password}
              disabled={!draft.useSasl || draft.clearPassword}
              onChange={(e) => change('password', e.target.value)}
              autoComplete="new-password"
            />
          </Row>
          <Row label="Clear password" htmlFor="settings-clearPassword" field="clearPassword" hint="Removes the saved password when you Submit." check>
            <input type="checkbox" {...input('clearPassword')} checked={draft.clearPassword} onChange={(e) => change('clearPassword', e.target.checked)} />
          </Row>
        </>
      ) : (
        <Row label={PASSWORD_LABEL} htmlFor="settings-password" error={errors.password} field="password" hint={passwordHint(draft)}>
          <input type="password" {...input('password')} value={draft.password} disabled={!draft.useSasl} onChange={(e) => change('password', e.target.value)} autoComplete="new-password" />
        </Row>
      )}
      {saslWithoutTls && (
        <p className="notice notice-warning" role="note" id="settings-sasl-tls-warning">
          {saslWithoutTls}
        </p>
      )}
      <NotOnPostfix postfix={postfix}>
        {draft.useSasl && view.secretStorage.kind === 'keyfile' && (
          <p className="notice notice-warning" role="note">
            {KEYFILE_WARNING}
          </p>
        )}
      </NotOnPostfix>

      <details className="advanced" open={advancedOpen} onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}>
        <summary>Advanced</summary>
        <Row label={FIELD_LABELS.verifyCertificate} htmlFor="settings-verifyCertificate" error={errors.verifyCertificate} field="verifyCertificate" hint={verifyHint(postfix)} check>
          <input type="checkbox" {...input('verifyCertificate')} checked={draft.verifyCertificate} onChange={(e) => change('verifyCertificate', e.target.checked)} />
        </Row>
        <Row
          label={FIELD_LABELS.allowPlainAuth}
          htmlFor="settings-allowPlainAuth"
          error={errors.allowPlainAuth}
          field="allowPlainAuth"
          hint="Unsafe: sends the Username and Password in clear to a relay that offers no STARTTLS. Off, such a relay gets no login and mail waits in the queue."
          check
        >
          <input type="checkbox" {...input('allowPlainAuth')} checked={draft.allowPlainAuth} onChange={(e) => change('allowPlainAuth', e.target.checked)} />
        </Row>
        <NotOnPostfix postfix={postfix} instead={<PostfixOwnNote />}>
        <Row label={FIELD_LABELS.caPem} htmlFor="settings-caPem" error={errors.caPem} field="caPem" hint="PEM of a private certificate authority that signed the relay’s certificate; blank for the system’s trusted CAs.">
          <textarea {...input('caPem')} rows={4} value={draft.caPem} onChange={(e) => change('caPem', e.target.value)} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" />
        </Row>
        <NumberRow label={formLabel('minBackoffSec')} field="minBackoffSec" draftKey="minBackoffSec" draft={draft} errors={errors} input={input} change={change} hint="Wait before the first retry of a deferred message." />
        <NumberRow label={formLabel('maxBackoffSec')} field="maxBackoffSec" draftKey="maxBackoffSec" draft={draft} errors={errors} input={input} change={change} hint="The wait doubles after each attempt, up to this." />
        <NumberRow label={formLabel('maxQueueLifetimeSec')} field="maxQueueLifetimeSec" draftKey="maxQueueLifetimeDays" draft={draft} errors={errors} input={input} change={change} hint="After this, undelivered recipients are bounced as expired." />
        <NumberRow label={formLabel('concurrency')} field="concurrency" draftKey="concurrency" draft={draft} errors={errors} input={input} change={change} hint="Messages delivered at the same time." />
        <NumberRow label={formLabel('connectionTimeoutSec')} field="connectionTimeoutSec" draftKey="connectionTimeoutSec" draft={draft} errors={errors} input={input} change={change} hint="" />
        <NumberRow label={formLabel('greetingTimeoutSec')} field="greetingTimeoutSec" draftKey="greetingTimeoutSec" draft={draft} errors={errors} input={input} change={change} hint="Wait for the server’s 220 greeting." />
        <NumberRow label={formLabel('maxMessageSizeBytes')} field="maxMessageSizeBytes" draftKey="maxMessageSizeMiB" draft={draft} errors={errors} input={input} change={change} hint="" />
        <NumberRow label={formLabel('logRetentionDays')} field="logRetentionDays" draftKey="logRetentionDays" draft={draft} errors={errors} input={input} change={change} hint="Mail Log and Logs entries older than this are removed." />
        <NumberRow label={formLabel('sourceRetentionDays')} field="sourceRetentionDays" draftKey="sourceRetentionDays" draft={draft} errors={errors} input={input} change={change} hint="The source of a sent message can be opened from the Mail Log this long; 0 keeps none." />
        <NumberRow label={formLabel('sourceRetentionBytes')} field="sourceRetentionBytes" draftKey="sourceRetentionMiB" draft={draft} errors={errors} input={input} change={change} hint="Past this, the oldest kept messages are pruned first." />
        <Row
          label={FIELD_LABELS.publicAddress}
          htmlFor="settings-publicAddress"
          error={errors.publicAddress}
          field="publicAddress"
          hint="The IP address receivers see this system send from, for Troubleshooting’s reverse DNS, SPF and blocklist checks. Blank: learned from the relay’s or mail server’s greeting when it names it."
        >
          <input type="text" {...input('publicAddress')} value={draft.publicAddress} onChange={(e) => change('publicAddress', e.target.value)} autoComplete="off" spellCheck={false} placeholder="203.0.113.25" />
        </Row>
        <fieldset className="alerts-settings" aria-labelledby="settings-alerts-legend">
          <legend id="settings-alerts-legend">Alerts</legend>
          <Row label={FIELD_LABELS.alertsEnabled} htmlFor="settings-alertsEnabled" error={errors.alertsEnabled} field="alertsEnabled" hint="A desktop notification (a banner in the browser) when mail is deferred or bounced, or the queue is past these limits; they reach you when mail itself cannot." check>
            <input type="checkbox" {...input('alertsEnabled')} checked={draft.alertsEnabled} onChange={(e) => change('alertsEnabled', e.target.checked)} />
          </Row>
          <NumberRow label={formLabel('alertQueueSize')} field="alertQueueSize" draftKey="alertQueueSize" draft={draft} errors={errors} input={input} change={change} hint="Alert when more messages than this wait for delivery (held ones not counted)." />
          <NumberRow label={formLabel('alertOldestMinutes')} field="alertOldestMinutes" draftKey="alertOldestMinutes" draft={draft} errors={errors} input={input} change={change} hint="Alert when a message has waited longer than this." />
          <NumberRow label={formLabel('alertIntervalMinutes')} field="alertIntervalMinutes" draftKey="alertIntervalMinutes" draft={draft} errors={errors} input={input} change={change} hint="At most one alert per problem in this time; an outage that goes on gets one summary per interval." />
        </fieldset>
        <DkimSettings draft={draft} view={view} errors={errors} input={input} change={change} />
        <LocalSubmission draft={draft.listen} hasPassword={view.hasListenPassword ?? false} errors={errors} onChange={(listen) => change('listen', listen)} />
        </NotOnPostfix>
      </details>

      <div className="form-actions">
        <button type="submit" className="primary" disabled={saving}>
          Submit
        </button>
        {/* The checks test the console's own delivery; a Postfix server's Mail Log has its replies. */}
        <NotOnPostfix postfix={postfix}>
          <button type="button" onClick={() => void checkConnection()} disabled={connectionCheck.running}>
            Check connection
          </button>
        </NotOnPostfix>
        {postfixSave.actions}
        <span role="status" className="saved">
          {statusLine(saved, saving, postfixSave.notice)}
        </span>
      </div>
      {postfixSave.dialogs}
      <ConnectionResults run={connectionCheck} onFix={focusField} />
    </form>
  )
}

/** Postfix signs in with its password map only (smtp_sasl_password_maps). */
function saslHint(postfix: boolean): string {
  return postfix ? 'Log in to the relay with a username and password (Postfix’s smtp_sasl_password_maps).' : 'Log in to the relay: with a username and password, or with an OAuth 2.0 access token.'
}

/** On Postfix, Verify certificate is smtp_tls_security_level (secure or verify; off, encrypt) and the CA is the server's. */
function verifyHint(postfix: boolean): string {
  return postfix
    ? 'Refuse servers whose certificate is not trusted (smtp_tls_security_level secure or verify; off: encrypt). Postfix trusts the CAs of smtp_tls_CAfile on the server.'
    : 'Refuse servers whose certificate is not trusted. Give a CA certificate rather than turning this off.'
}

/** The line beside Submit: saved, saving, or what a Postfix server's preview or undo said. */
function statusLine(saved: boolean, saving: boolean, notice: string | null): string {
  if (saved) return 'Settings saved.'
  return saving ? 'Saving…' : notice ?? ''
}

/** The draft's parts of the DKIM key: an error about the key goes when any of them changes. */
/** Said under the Password while none is saved: what the form holds now, not what was saved. */
function passwordHint(draft: Draft): string {
  if (!draft.useSasl) return 'Used only with Use SASL Authorization.'
  return draft.password === '' ? 'No password is set.' : 'Saved when you Submit; never shown again.'
}

/** The field's control on this form: TLS mode is chosen with Use TLS. */
const onForm = (field: string): string => (field === 'tlsMode' ? 'useTls' : field)

const DKIM_KEY_DRAFT = new Set<string>(['dkimGenerated', 'dkimPem', 'clearDkimKey'])


type InputProps = (key: string) => { id: string; 'aria-invalid': boolean | undefined; 'aria-describedby': string }

function NumberRow({
  label,
  field,
  draftKey,
  draft,
  errors,
  input,
  change,
  hint,
}: {
  label: string
  field: string
  draftKey: keyof Draft
  draft: Draft
  errors: FieldErrors
  input: InputProps
  change<K extends keyof Draft>(key: K, value: Draft[K]): void
  hint: string
}) {
  return (
    <Row label={label} htmlFor={`settings-${field}`} field={field} error={errors[field]} hint={hint}>
      <input type="text" inputMode="decimal" className="short" {...input(field)} value={String(draft[draftKey])} onChange={(e) => change(draftKey, e.target.value as never)} autoComplete="off" />
    </Row>
  )
}

/**
 * Focuses an element once it is on the page: a field under Advanced appears only after the section opens,
 * and a page that has just loaded hands focus to its heading first. Tries for about half a second of frames;
 * returns the cancel.
 */
function focusWhenShown(id: string): () => void {
  let frame = 0
  let tries = 0
  const attempt = () => {
    const el = document.getElementById(id)
    if (el && document.activeElement !== el) el.focus()
    if (tries++ < 30 && document.activeElement !== el) frame = requestAnimationFrame(attempt)
  }
  frame = requestAnimationFrame(attempt)
  return () => cancelAnimationFrame(frame)
}
