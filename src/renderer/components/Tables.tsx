import type { ReactNode } from 'react'
import type { EventEntry, MailLogEntry, QueueEntry } from '../../shared/types.ts'
import { formatBytes } from '../../shared/format.ts'
import { formatDelay, formatTime } from '../format.ts'
import { Address, Badge, Clip, IconButton } from './Cells.tsx'
import { DataTable, type Column } from './DataTable.tsx'

// The three tables of the console, shared by their pages and the dashboard.

export interface QueueActions {
  onSource(entry: QueueEntry): void
  onRetry(entry: QueueEntry): void
  onHold(entry: QueueEntry): void
  onRelease(entry: QueueEntry): void
  onDelete(entry: QueueEntry): void
}

interface TableProps<E> {
  entries: E[]
  caption: string
  /** Said instead of the table when there is no entry. */
  empty?: ReactNode
  /** Opens a row's message; without it the queue id is plain text. */
  onOpen?(queueId: string): void
}

/** The queue id as the button that opens the message (its story, headers and source). */
function OpenId({ queueId, onOpen }: { queueId: string; onOpen: () => void }) {
  return (
    <button type="button" className="link-button mono" aria-label={`Open message ${queueId}`} title="Open the message: its story, headers and source" onClick={onOpen}>
      {queueId}
    </button>
  )
}

function queueColumns(actions: QueueActions | undefined, onOpen: ((queueId: string) => void) | undefined): (Column<QueueEntry> | undefined)[] {
  const open = actions ? (e: QueueEntry) => actions.onSource(e) : onOpen ? (e: QueueEntry) => onOpen(e.queueId) : null
  return [
    {
      key: 'id',
      header: 'Queue ID',
      width: 'w-id',
      cellClass: 'mono',
      cell: (e) => (open ? <OpenId queueId={e.queueId} onOpen={() => open(e)} /> : e.queueId),
    },
    { key: 'size', header: 'Size', num: true, width: 'w-size', priority: 'low', cell: (e) => formatBytes(e.size) },
    { key: 'arrival', header: 'Arrival Time', width: 'w-split-time', priority: 'medium', cellClass: 'time split', cell: (e) => formatTime(e.arrivalAt) },
    { key: 'sender', header: 'Sender', width: 'w-sender', priority: 'low', cell: (e) => <Address text={e.sender || '<>'} /> },
    { key: 'recipients', header: 'Recipients', width: 'w-address', cell: (e) => <Address text={recipientsText(e)} title={e.recipients.join('\n')} /> },
    {
      key: 'state',
      header: 'State',
      width: 'w-state',
      cellTitle: (e) => (e.isTest ? 'A test message from Send Test Email' : undefined),
      cell: (e) => <Badge value={e.state} />,
    },
    { key: 'attempts', header: 'Attempts', num: true, width: 'w-attempts', priority: 'low', cell: (e) => e.attempts },
    { key: 'next', header: 'Next Attempt', width: 'w-split-time', cellClass: 'time split', cell: (e) => (e.state === 'hold' ? 'on hold' : formatTime(e.nextAttemptAt)) },
    { key: 'reason', header: 'Reason', cell: (e) => <Reason summary={e.explanation?.summary ?? null} raw={e.reason} /> },
    actions && {
      key: 'actions',
      header: 'Actions',
      hideHeader: true,
      width: 'w-actions',
      cellClass: 'actions',
      cell: (e) => (
        <>
          {/* Retry now on a held message releases it: the name says so before the click. */}
          <IconButton icon="retry" label={e.state === 'hold' ? `Retry ${e.queueId} now (releases it from hold)` : `Retry ${e.queueId} now`} onClick={() => actions.onRetry(e)} />
          {e.state === 'hold' ? (
            <IconButton icon="release" label={`Release ${e.queueId}`} onClick={() => actions.onRelease(e)} />
          ) : (
            <IconButton icon="hold" label={`Hold ${e.queueId}`} onClick={() => actions.onHold(e)} />
          )}
          <IconButton icon="delete" danger label={`Delete ${e.queueId}`} onClick={() => actions.onDelete(e)} />
        </>
      ),
    },
  ]
}

export function QueueTable({ entries, actions, caption, empty, onOpen }: TableProps<QueueEntry> & { actions?: QueueActions }) {
  return (
    <DataTable
      className="grid queue-table"
      caption={caption}
      columns={queueColumns(actions, onOpen)}
      rows={entries}
      rowKey={(e) => e.queueId}
      rowClass={(e) => `row-${e.state}`}
      empty={empty}
    />
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

const mailLogColumns = (onOpen: ((queueId: string) => void) | undefined): Column<MailLogEntry>[] => [
  { key: 'time', header: 'Time', width: 'w-time', cellClass: 'time', cell: (e) => formatTime(e.at) },
  { key: 'id', header: 'Queue ID', width: 'w-id', cellClass: 'mono', cell: (e) => (onOpen ? <OpenId queueId={e.queueId} onOpen={() => onOpen(e.queueId)} /> : e.queueId) },
  { key: 'from', header: 'From', width: 'w-sender', priority: 'low', cell: (e) => <Address text={e.sender || '<>'} /> },
  { key: 'to', header: 'To', width: 'w-address', cell: (e) => <Address text={e.recipient} /> },
  { key: 'status', header: 'Status', width: 'w-state', cell: (e) => <Badge value={e.status} /> },
  { key: 'relay', header: 'Relay', width: 'w-relay', priority: 'medium', cell: (e) => <Address text={e.relay ?? '—'} /> },
  { key: 'delay', header: 'Delay', num: true, width: 'w-delay', priority: 'low', cell: (e) => formatDelay(e.delayMs) },
  { key: 'dsn', header: 'DSN', width: 'w-dsn', priority: 'medium', cellClass: 'mono', cell: (e) => e.dsn ?? '—' },
  { key: 'tls', header: 'TLS', width: 'w-tls', priority: 'low', cell: (e) => <Clip text={e.tls ?? '—'} /> },
  // The server's words explain the row: they wrap, whole, rather than being cut.
  { key: 'reply', header: 'Reply', cellClass: 'wrap reply', cell: (e) => e.reply ?? <span className="muted">—</span> },
]

const FAILED = new Set(['deferred', 'bounced', 'expired'])

export function MailLogTable({ entries, caption, empty, onOpen }: TableProps<MailLogEntry>) {
  return (
    <DataTable
      className="grid grouped maillog-table"
      caption={caption}
      columns={mailLogColumns(onOpen)}
      rows={entries}
      rowKey={(e) => e.id}
      rowClass={(e) => `row-${e.status}`}
      empty={empty}
      // One entry is one tbody: its row, and under a failed row the decoded cause across the table.
      detail={(e) =>
        FAILED.has(e.status) && e.explanation
          ? {
              className: `explain-row explain-${e.status}`,
              content: (
                <span className="row-explanation" title={e.explanation.fix}>
                  {e.explanation.summary}
                </span>
              ),
            }
          : null
      }
    />
  )
}

const EVENT_COLUMNS: Column<EventEntry>[] = [
  { key: 'time', header: 'Time', width: 'w-time', cellClass: 'time', cell: (e) => formatTime(e.at) },
  { key: 'level', header: 'Level', width: 'w-state', cell: (e) => <Badge value={e.level} /> },
  { key: 'source', header: 'Source', width: 'w-source', cell: (e) => <Clip text={e.source} /> },
  { key: 'message', header: 'Message', cell: (e) => <EventMessage entry={e} /> },
]

export function EventsTable({ entries, caption, empty }: TableProps<EventEntry>) {
  return <DataTable className="grid events-table" caption={caption} columns={EVENT_COLUMNS} rows={entries} rowKey={(e) => e.id} rowClass={(e) => `row-${e.level}`} empty={empty} />
}

/** A detail's value as a line an admin reads: text as it is, a list joined, anything deeper as compact JSON. */
function detailText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) return value.join(', ')
  return JSON.stringify(value)
}

function EventMessage({ entry }: { entry: EventEntry }): ReactNode {
  if (!entry.details || Object.keys(entry.details).length === 0) return <span className="wrap">{entry.message}</span>
  // Expanded, a row reads as key: value; the raw JSON is one click further.
  return (
    <details className="event-details">
      <summary>{entry.message}</summary>
      <dl className="event-facts">
        {Object.entries(entry.details).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="wrap">{detailText(v)}</dd>
          </div>
        ))}
      </dl>
      <details className="raw-details">
        <summary>Raw details (JSON)</summary>
        <pre>{JSON.stringify(entry.details, null, 2)}</pre>
      </details>
    </details>
  )
}
