import type { ReactNode } from 'react'
import type { EventEntry, MailLogEntry, QueueEntry } from '../../shared/types.ts'
import { formatBytes, formatDelay, formatTime } from '../format.ts'
import { Badge, Clip, IconButton } from './Cells.tsx'

// The three tables of the console, shared by their pages and the dashboard.

export interface QueueActions {
  onSource(entry: QueueEntry): void
  onRetry(entry: QueueEntry): void
  onHold(entry: QueueEntry): void
  onRelease(entry: QueueEntry): void
  onDelete(entry: QueueEntry): void
}

export function QueueTable({ entries, actions, caption }: { entries: QueueEntry[]; actions?: QueueActions; caption: string }) {
  return (
    <table className="grid queue-table">
      <caption className="visually-hidden">{caption}</caption>
      <colgroup>
        <col className="w-id" />
        <col className="w-size" />
        <col className="w-split-time" />
        <col className="w-sender" />
        <col className="w-address" />
        <col className="w-state" />
        <col className="w-attempts" />
        <col className="w-split-time" />
        <col />
        {actions && <col className="w-actions" />}
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Queue ID</th>
          <th scope="col" className="num">
            Size
          </th>
          <th scope="col">Arrival Time</th>
          <th scope="col">Sender</th>
          <th scope="col">Recipients</th>
          <th scope="col">State</th>
          <th scope="col" className="num">
            Attempts
          </th>
          <th scope="col">Next Attempt</th>
          <th scope="col">Reason</th>
          {actions && (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.queueId} className={`row-${e.state}`}>
            <td className="mono">
              {actions ? (
                <button type="button" className="link-button mono" aria-label={`View source of ${e.queueId}`} title="View source and details" onClick={() => actions.onSource(e)}>
                  {e.queueId}
                </button>
              ) : (
                e.queueId
              )}
            </td>
            <td className="num">{formatBytes(e.size)}</td>
            <td className="time split">{formatTime(e.arrivalAt)}</td>
            <td>
              <Clip text={e.sender || '<>'} />
            </td>
            <td>
              <Clip text={recipientsText(e)} title={e.recipients.join('\n')} />
            </td>
            <td title={e.isTest ? 'A test message from Send Test Email' : undefined}>
              <Badge value={e.state} />
            </td>
            <td className="num">{e.attempts}</td>
            <td className="time split">{e.state === 'hold' ? 'on hold' : formatTime(e.nextAttemptAt)}</td>
            <td>
              <Reason summary={e.explanation?.summary ?? null} raw={e.reason} />
            </td>
            {actions && (
              <td className="actions">
                <IconButton icon="retry" label={`Retry ${e.queueId} now`} onClick={() => actions.onRetry(e)} />
                {e.state === 'hold' ? (
                  <IconButton icon="release" label={`Release ${e.queueId}`} onClick={() => actions.onRelease(e)} />
                ) : (
                  <IconButton icon="hold" label={`Hold ${e.queueId}`} onClick={() => actions.onHold(e)} />
                )}
                <IconButton icon="delete" danger label={`Delete ${e.queueId}`} onClick={() => actions.onDelete(e)} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function recipientsText(e: QueueEntry): string {
  const shown = e.recipients.slice(0, 3).join(', ')
  const more = e.recipientCount - Math.min(3, e.recipients.length)
  return more > 0 ? `${shown} +${more} more` : shown
}

function Reason({ summary, raw }: { summary: string | null; raw: string | null }) {
  if (!summary && !raw) return <span className="muted">—</span>
  return (
    <span className="reason" title={raw ?? undefined}>
      {summary ?? raw}
    </span>
  )
}

export function MailLogTable({ entries, caption }: { entries: MailLogEntry[]; caption: string }) {
  return (
    <table className="grid grouped maillog-table">
      <caption className="visually-hidden">{caption}</caption>
      <colgroup>
        <col className="w-time" />
        <col className="w-id" />
        <col className="w-sender" />
        <col className="w-address" />
        <col className="w-state" />
        <col className="w-relay" />
        <col className="w-delay" />
        <col className="w-dsn" />
        <col className="w-tls" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Queue ID</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Status</th>
          <th scope="col">Relay</th>
          <th scope="col" className="num">
            Delay
          </th>
          <th scope="col">DSN</th>
          <th scope="col">TLS</th>
          <th scope="col">Reply</th>
        </tr>
      </thead>
      {entries.map((e) => (
        <MailLogRow key={e.id} entry={e} />
      ))}
    </table>
  )
}

const FAILED = new Set(['deferred', 'bounced', 'expired'])

// One entry is one tbody: its row, and under a failed row the decoded cause across the table.
function MailLogRow({ entry: e }: { entry: MailLogEntry }) {
  const explained = FAILED.has(e.status) && e.explanation
  return (
    <tbody>
      <tr className={`row-${e.status}`}>
        <td className="time">{formatTime(e.at)}</td>
        <td className="mono">{e.queueId}</td>
        <td>
          <Clip text={e.sender || '<>'} />
        </td>
        <td>
          <Clip text={e.recipient} />
        </td>
        <td>
          <Badge value={e.status} />
        </td>
        <td>
          <Clip text={e.relay ?? '—'} />
        </td>
        <td className="num">{formatDelay(e.delayMs)}</td>
        <td className="mono">{e.dsn ?? '—'}</td>
        <td>
          <Clip text={e.tls ?? '—'} />
        </td>
        <td>
          <Clip text={e.reply ?? '—'} />
        </td>
      </tr>
      {explained && (
        <tr className={`explain-row explain-${e.status}`}>
          <td colSpan={10}>
            <span className="row-explanation" title={e.explanation!.fix}>
              {e.explanation!.summary}
            </span>
          </td>
        </tr>
      )}
    </tbody>
  )
}

export function EventsTable({ entries, caption }: { entries: EventEntry[]; caption: string }) {
  return (
    <table className="grid events-table">
      <caption className="visually-hidden">{caption}</caption>
      <colgroup>
        <col className="w-time" />
        <col className="w-state" />
        <col className="w-source" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Level</th>
          <th scope="col">Source</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} className={`row-${e.level}`}>
            <td className="time">{formatTime(e.at)}</td>
            <td>
              <Badge value={e.level} />
            </td>
            <td>
              <Clip text={e.source} />
            </td>
            <td>
              <EventMessage entry={e} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function EventMessage({ entry }: { entry: EventEntry }): ReactNode {
  if (!entry.details || Object.keys(entry.details).length === 0) return <span className="wrap">{entry.message}</span>
  return (
    <details className="event-details">
      <summary>{entry.message}</summary>
      <pre>{JSON.stringify(entry.details, null, 2)}</pre>
    </details>
  )
}
