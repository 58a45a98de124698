import { useEffect, useState } from 'react'
import type { ApiError } from '../../shared/api.ts'
import { formatBytes } from '../../shared/format.ts'
import type { MailLogEntry, MessageStory, RecipientDetail, Transcript } from '../../shared/types.ts'
import { formatTime, plural } from '../format.ts'
import { useStores } from '../stores/index.ts'
import { Badge } from './Cells.tsx'
import { DataTable, type Column } from './DataTable.tsx'
import { Dialog } from './Dialog.tsx'
import { ErrorNotice } from './Notices.tsx'

// One message opened from the Mail Queue, the Mail Log or the dashboard: its story from received to
// the final outcome, its headers, its source (kept for Keep sent messages once it has left), the
// SMTP transcript of a watched attempt, and the source as an .eml file.

const RECIPIENT_COLUMNS: Column<RecipientDetail>[] = [
  { key: 'address', header: 'Address', cellClass: 'wrap', cell: (r) => r.address },
  { key: 'status', header: 'Status', cell: (r) => <Badge value={r.status} /> },
  { key: 'dsn', header: 'DSN', cellClass: 'mono', cell: (r) => r.dsn ?? '—' },
  { key: 'reply', header: 'Reply', cellClass: 'wrap', cell: (r) => r.reply ?? '—' },
  { key: 'updated', header: 'Updated', cellClass: 'time', cell: (r) => formatTime(r.updatedAt) },
]

const STORY_COLUMNS: Column<MailLogEntry>[] = [
  { key: 'time', header: 'Time', cellClass: 'time', cell: (a) => formatTime(a.at) },
  { key: 'status', header: 'What happened', cell: (a) => <Badge value={a.status} /> },
  { key: 'to', header: 'To', cellClass: 'wrap', cell: (a) => a.recipient },
  { key: 'relay', header: 'Relay', cellClass: 'wrap', cell: (a) => a.relay ?? '—' },
  { key: 'reply', header: 'Reply', cellClass: 'wrap', cell: (a) => <StoryReply entry={a} /> },
]

/** The decoded cause leads; the server's own words are one click away. */
function StoryReply({ entry }: { entry: MailLogEntry }) {
  if (!entry.explanation) return <>{entry.reply ?? '—'}</>
  return (
    <>
      <div className="row-explanation">{entry.explanation.summary}</div>
      {entry.reply && (
        <details className="raw-reply">
          <summary>Server reply</summary>
          <code>{entry.reply}</code>
        </details>
      )}
    </>
  )
}

/** Hands the source to the browser as a download; the desktop app turns it into a save dialog. */
function downloadEml(queueId: string, source: string): void {
  const url = URL.createObjectURL(new Blob([source], { type: 'message/rfc822' }))
  const link = document.createElement('a')
  link.href = url
  link.download = `${queueId}.eml`
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  // The download reads the blob after this task; free it once it surely has.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

/** The SMTP transcript of the message's latest watched attempt, shown on request. */
function TranscriptSection({ transcript }: { transcript: Transcript | null | undefined }) {
  const [shown, setShown] = useState(false)
  return (
    <>
      <h3>SMTP transcript</h3>
      {transcript === undefined ? (
        <p className="muted">Loading…</p>
      ) : transcript === null ? (
        <p className="muted">No SMTP transcript was kept: one is kept for test emails and messages retried by hand.</p>
      ) : (
        <>
          <button type="button" className="link-button" aria-expanded={shown} onClick={() => setShown((v) => !v)}>
            {shown ? 'Hide SMTP transcript' : 'Show SMTP transcript'}
          </button>
          {shown && (
            <pre className="transcript" tabIndex={0} aria-label={`SMTP transcript of attempt ${transcript.attempt}`}>
              {transcript.lines.join('\n')}
            </pre>
          )}
        </>
      )}
    </>
  )
}

export function MessageDialog({ queueId, onClose }: { queueId: string; onClose(): void }) {
  const { api } = useStores()
  const [message, setMessage] = useState<MessageStory | null>(null)
  const [transcript, setTranscript] = useState<Transcript | null | undefined>(undefined)
  const [error, setError] = useState<ApiError | null>(null)

  useEffect(() => {
    let live = true
    void Promise.all([api['message.get']({ queueId }), api['mail.transcript']({ queueId })]).then(([m, t]) => {
      if (!live) return
      if (m.ok) setMessage(m.data)
      else setError(m.error)
      setTranscript(t.ok ? t.data : null)
    })
    return () => {
      live = false
    }
  }, [api, queueId])

  const source = message?.source
  const detail = message?.inQueue ?? null
  const last = message?.story.at(-1)
  return (
    <Dialog
      title={`Message ${queueId}`}
      onClose={onClose}
      wide
      actions={
        <>
          {source?.kind === 'kept' && (
            <button type="button" onClick={() => downloadEml(queueId, source.source)}>
              Download .eml
            </button>
          )}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <ErrorNotice error={error} />
      {!message && !error && <p className="muted">Loading…</p>}
      {message && (
        <>
          <dl className="facts facts-inline">
            <dt>From</dt>
            <dd>{message.sender || '<>'}</dd>
            <dt>Subject</dt>
            <dd>{message.subject ?? <span className="muted">not known</span>}</dd>
            <dt>Message-ID</dt>
            <dd className="mono">{message.messageId ?? '—'}</dd>
            <dt>State</dt>
            <dd>
              {detail ? (
                <>
                  <Badge value={detail.state} /> {plural(detail.attempts, 'attempt')}
                  {detail.nextAttemptAt !== null && detail.state !== 'hold' && `, next at ${formatTime(detail.nextAttemptAt)}`}
                </>
              ) : (
                <>Left the queue{last ? <> ({last.status}, {formatTime(last.at)})</> : null}</>
              )}
            </dd>
          </dl>
          <h3>Story</h3>
          <DataTable className="grid story" caption={`Story of ${queueId}`} columns={STORY_COLUMNS} rows={message.story} rowKey={(a) => a.id} empty="The Mail Log holds nothing of this message (its rows may have passed the Log retention)." />
          {detail && (
            <>
              <h3>Recipients</h3>
              <DataTable className="grid" columns={RECIPIENT_COLUMNS} rows={detail.recipientsDetail} rowKey={(r) => r.address} />
            </>
          )}
          <TranscriptSection transcript={transcript} />
          {message.headers.length > 0 && (
            <>
              <h3>Headers</h3>
              <dl className="facts headers">
                {message.headers.map((h, i) => (
                  <div key={i}>
                    <dt>{h.name}</dt>
                    <dd className="wrap">{h.value}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          <h3>Source</h3>
          {source?.kind === 'kept' ? (
            <>
              {source.truncated && <p className="muted">Only the first MiB of this {formatBytes(source.size)} message is shown and downloaded.</p>}
              <pre className="source" tabIndex={0} aria-label={`Source of ${queueId}`}>
                {source.source}
              </pre>
            </>
          ) : (
            source && (
              <p className="notice notice-warning" role="status">
                {source.note}
                {source.at !== null && ` (${formatTime(source.at)})`}
              </p>
            )
          )}
        </>
      )}
    </Dialog>
  )
}
