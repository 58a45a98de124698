import '../zod-config.ts'
import { useEffect, useState, type FormEvent } from 'react'
import { requestSchemas, validationError } from '../../shared/api.ts'
import { effectiveRelayPort } from '../../shared/settings.ts'
import { ErrorNotice } from '../components/Notices.tsx'
import { CheckList, SummaryLine } from '../components/troubleshooting/CheckList.tsx'
import { Guidance } from '../components/troubleshooting/Guidance.tsx'
import { useDiagnosticsRun } from '../hooks/useDiagnosticsRun.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'

// Troubleshooting: the console checks the saved settings itself — how mail
// leaves (relay or direct) and the DNS receivers judge it by — and shows each
// check as it finishes, with what to do and a "Fix" that opens the setting.

export function TroubleshootingPage() {
  const { settings } = useStores()
  const view = useSlice(settings, (s) => s.view)
  const checks = useDiagnosticsRun()
  const [recipient, setRecipient] = useState('')
  const [fieldError, setFieldError] = useState<string | null>(null)

  useEffect(() => {
    void settings.getState().load()
  }, [settings])

  // Runs on open, with the saved settings.
  const { run } = checks
  useEffect(() => {
    void run({})
  }, [run])

  async function runChecks(event: FormEvent) {
    event.preventDefault()
    const parsed = requestSchemas['diagnostics.run'].safeParse({ recipientDomain: recipient })
    if (!parsed.success) {
      setFieldError(validationError(parsed.error).fields?.recipientDomain ?? 'Enter a recipient domain such as example.com, or an email address.')
      return
    }
    setFieldError(null)
    const error = await run(recipient.trim() ? { recipientDomain: recipient.trim() } : {})
    if (error?.fields?.recipientDomain) setFieldError(error.fields.recipientDomain)
  }

  const s = view?.settings
  const relay = s && s.relayHost ? `${s.relayHost}:${effectiveRelayPort(s)}` : undefined
  return (
    <div className="troubleshooting">
      <p className="lead">
        The console checks the saved settings from this system: {s && !s.relayHost ? 'whether the recipients’ mail servers can be reached directly' : 'whether the relay takes mail from it'}, and
        whether receivers will trust the mail. Nothing is sent. Change a setting with its <strong>Fix</strong>, then run the checks again; to try unsaved settings, use{' '}
        <strong>Check connection</strong> in <a href={href('/settings')}>Edit Settings</a>.
      </p>
      <form className="check-form" noValidate onSubmit={runChecks} aria-label="Run checks">
        <label htmlFor="ts-recipient">Recipient domain</label>
        <input
          id="ts-recipient"
          type="text"
          value={recipient}
          placeholder="example.com"
          onChange={(e) => {
            setRecipient(e.target.value)
            setFieldError(null)
          }}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? 'ts-recipient-error ts-recipient-hint' : 'ts-recipient-hint'}
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" className="primary" disabled={checks.running}>
          Run checks
        </button>
        {fieldError && (
          <p id="ts-recipient-error" className="field-error">
            {fieldError}
          </p>
        )}
        <p id="ts-recipient-hint" className="hint">
          Optional: the domain (or address) your mail goes to. The relay is asked whether it would take mail for it, or, sending directly, its mail servers are checked.
        </p>
      </form>
      <ErrorNotice error={checks.error && !checks.error.fields?.recipientDomain ? checks.error : null} title="The checks could not run." />
      <SummaryLine checks={checks.checks} running={checks.running} finishedAt={checks.finishedAt} />
      <CheckList checks={checks.checks} {...(relay ? { transcriptTitle: relay } : {})} />
      <Guidance />
    </div>
  )
}
