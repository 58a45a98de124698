import '../zod-config.ts'
import { useState, type FormEvent } from 'react'
import { requestSchemas, validationError } from '../../shared/api.ts'
import type { DeliveryProgress, DeliveryStage } from '../../shared/types.ts'
import { ErrorNotice, ExplanationBox } from '../components/Notices.tsx'
import { formatTime } from '../format.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'

// Send Test Email: the address, Send, then each step of the delivery as the
// engine reports it, the cause and fix of a failure, and the SMTP transcript.

export const STAGE_LABELS: Record<DeliveryStage, string> = {
  queued: 'Queued',
  connecting: 'Connecting',
  connected: 'Connected',
  tls: 'TLS',
  authenticated: 'Authenticated',
  sending: 'Sending',
  sent: 'Sent',
  deferred: 'Deferred',
  bounced: 'Bounced',
  expired: 'Expired',
}

const FAILED: ReadonlySet<DeliveryStage> = new Set(['deferred', 'bounced', 'expired'])
const FINAL: ReadonlySet<DeliveryStage> = new Set(['sent', 'deferred', 'bounced', 'expired'])

const EMPTY: DeliveryProgress[] = []

/** "Deferred: …" once, whether or not the engine's line already starts with the stage. */
function titled(p: DeliveryProgress): string {
  const label = STAGE_LABELS[p.stage]
  return p.detail.toLowerCase().startsWith(label.toLowerCase()) ? p.detail : `${label}: ${p.detail}`
}

export function SendTestPage() {
  const { delivery } = useStores()
  const state = useSlice(delivery, (s) => s)
  const progress = useSlice(delivery, (s) => (s.current ? (s.progress[s.current.queueId] ?? EMPTY) : EMPTY))
  const [to, setTo] = useState(state.current?.to ?? '')
  const [fieldError, setFieldError] = useState<string | null>(null)

  async function send(event: FormEvent) {
    event.preventDefault()
    const parsed = requestSchemas['mail.sendTest'].safeParse({ to })
    if (!parsed.success) {
      setFieldError(validationError(parsed.error).fields?.to ?? 'Enter a valid email address.')
      return
    }
    setFieldError(null)
    await delivery.getState().send(parsed.data.to)
  }

  const serverFieldError = state.sendError?.fields?.to ?? null
  const shownFieldError = fieldError ?? serverFieldError
  const last = progress[progress.length - 1]
  // The latest outcome counts: a deferred test can be sent on a later attempt.
  const outcome = [...progress].reverse().find((p) => FINAL.has(p.stage))
  const failure = outcome && FAILED.has(outcome.stage) ? outcome : undefined
  const sent = outcome?.stage === 'sent' ? outcome : undefined
  const done = last ? FINAL.has(last.stage) : false

  return (
    <>
      <p className="lead">
        Sends a short message through the current settings and shows each step of the delivery. If it does not arrive, see{' '}
        <a href={href('/troubleshooting')}>Troubleshooting</a>.
      </p>
      <form className="send-form" noValidate onSubmit={send} aria-label="Send Test Email">
        <label htmlFor="test-to">Email address</label>
        <input
          id="test-to"
          type="email"
          value={to}
          onChange={(e) => {
            setTo(e.target.value)
            setFieldError(null)
          }}
          aria-invalid={shownFieldError ? true : undefined}
          aria-describedby={shownFieldError ? 'test-to-error' : undefined}
          autoComplete="email"
          spellCheck={false}
        />
        <button type="submit" className="primary" disabled={state.sending}>
          Send
        </button>
        {shownFieldError && (
          <p id="test-to-error" className="field-error">
            {shownFieldError}
          </p>
        )}
      </form>
      {state.sendError && !serverFieldError && <ErrorNotice error={state.sendError} title="The test message was not queued." />}

      {state.current && (
        <section aria-labelledby="progress-title" className="progress">
          <h2 id="progress-title">
            Test message <span className="mono">{state.current.queueId}</span> to {state.current.to}
          </h2>
          {failure && (
            <div className={`outcome outcome-${failure.stage}`} role="alert">
              <p className="outcome-title">{titled(failure)}</p>
              <ExplanationBox explanation={failure.explanation} reply={failure.reply} />
              {failure.stage === 'deferred' && (
                <p className="muted">
                  The message stays in the Mail Queue and is retried{failure.nextAttemptAt ? ` at ${formatTime(failure.nextAttemptAt)}` : ''}; Flush Queue retries it now.
                </p>
              )}
            </div>
          )}
          {sent && (
            <div className="outcome outcome-sent" role="status">
              <p className="outcome-title">{titled(sent)}</p>
              {sent.reply && (
                <p>
                  <strong>Server reply: </strong>
                  <code>{sent.reply}</code>
                </p>
              )}
              <p className="muted">Check the recipient’s inbox, and the spam or junk folder.</p>
            </div>
          )}
          <ol className="stages" aria-label="Delivery progress">
            {progress.length === 0 && <li className="muted">Waiting for the delivery to start…</li>}
            {progress.map((p, i) => (
              <li key={`${p.stage}-${p.at}-${i}`} className={`stage stage-${p.stage}`}>
                <span className="stage-name">{STAGE_LABELS[p.stage]}</span>
                <span className="stage-time time">{formatTime(p.at)}</span>
                <span className="stage-detail">{p.detail}</span>
                {p.reply && !FINAL.has(p.stage) && <code className="stage-reply">{p.reply}</code>}
              </li>
            ))}
            {!done && progress.length > 0 && <li className="muted working">Working…</li>}
          </ol>
          <TestTranscript key={state.current?.queueId} />
        </section>
      )}
    </>
  )
}

/** The SMTP transcript of the test message, on request. The button toggles and is never disabled, so the keyboard focus stays on it. */
function TestTranscript() {
  const { delivery } = useStores()
  const state = useSlice(delivery, (s) => s)
  const [transcriptOpen, setTranscriptOpen] = useState(false)
  return (
    <div className="transcript">
      <button
        type="button"
        aria-expanded={transcriptOpen}
        onClick={() => {
          if (transcriptOpen) return setTranscriptOpen(false)
          setTranscriptOpen(true)
          if (!state.transcriptLoading) void delivery.getState().loadTranscript()
        }}
      >
        {transcriptOpen ? 'Hide SMTP transcript' : 'Show SMTP transcript'}
      </button>
      {transcriptOpen && state.transcriptLoading && <p className="muted">Loading the transcript…</p>}
      {transcriptOpen && <ErrorNotice error={state.transcriptError} />}
      {transcriptOpen && state.transcriptMissing && <p className="muted">No transcript yet: the message has not been attempted. Try again once a step above says Connecting.</p>}
      {transcriptOpen && state.transcript && (
        <>
          <p className="muted">
            Attempt {state.transcript.attempt} at {formatTime(state.transcript.at)}; credentials are redacted.
          </p>
          {state.transcript.lines.length === 0 ? (
            <p className="muted">The transcript is empty: no server answered, so no SMTP was spoken. The cause is above.</p>
          ) : (
            <pre className="transcript-text" aria-label="SMTP transcript">
              {state.transcript.lines.join('\n')}
            </pre>
          )}
        </>
      )}
    </div>
  )
}
