import { useId, useState } from 'react'
import type { ApiError } from '../../shared/api.ts'
import type { QueueBulkAction, QueueFilterAction } from '../../shared/types.ts'
import { formatCount, plural } from '../format.ts'
import { useSlice, useStores } from '../stores/index.ts'
import { wireFilter, type QueueFilter } from '../stores/queue.ts'
import { ConfirmDialog } from './Dialog.tsx'
import { ErrorNotice } from './Notices.tsx'

// "Act on N matching": Delete, Hold, Release or Retry now on every message the
// Mail Queue's filter selects. The count is asked when the admin opens the
// dialog, shown before the Yes, and progress is shown while it runs.

const ACTIONS: { value: QueueFilterAction; label: string; done: string }[] = [
  { value: 'delete', label: 'Delete', done: 'deleted' },
  { value: 'hold', label: 'Hold', done: 'put on hold' },
  { value: 'release', label: 'Release', done: 'released' },
  { value: 'retry', label: 'Retry now', done: 'made due now' },
]

/** The filter in words, for the confirm dialog: what the admin is about to act on. */
export function describeFilter(filter: QueueFilter): string {
  const wire = wireFilter(filter)
  const parts: string[] = []
  if (wire.state) parts.push(`state ${wire.state}`)
  if (wire.text) parts.push(`matching “${wire.text}”`)
  if (wire.domain) parts.push(`to a recipient at ${wire.domain}`)
  if (wire.sender) parts.push(`from a sender matching “${wire.sender}”`)
  if (wire.olderThanMinutes !== undefined) parts.push(`older than ${plural(wire.olderThanMinutes, 'minute')}`)
  return parts.length ? parts.join(', ') : 'every message in the queue (no filter is set)'
}

export function ActOnMatching({ filter }: { filter: QueueFilter }) {
  const { queueSummary } = useStores()
  const progress = useSlice(queueSummary, (s) => s.progress)
  const id = useId()
  const [action, setAction] = useState<QueueFilterAction>('delete')
  const [asking, setAsking] = useState<{ count: number; action: QueueFilterAction } | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const chosen = ACTIONS.find((a) => a.value === (asking?.action ?? action))!

  async function ask() {
    setDone(null)
    setError(null)
    const counted = await queueSummary.getState().countMatching(filter)
    if (counted.ok) setAsking({ count: counted.data.count, action })
    else setError(counted.error)
  }

  async function run() {
    if (!asking) return
    setBusy(true)
    const result = await queueSummary.getState().actOnMatching(filter, asking.action)
    setBusy(false)
    setAsking(null)
    if (result.ok) setDone(`${plural(result.data.count, 'message')} ${chosen.done}.`)
    else setError(result.error)
  }

  const running = busy && progress && !progress.finished && progress.action === asking?.action ? progress : null
  return (
    <span className="filter act-on-matching">
      <label htmlFor={id}>Action</label>
      <select id={id} value={action} onChange={(e) => setAction(e.target.value as QueueFilterAction)}>
        {ACTIONS.map((a) => (
          <option key={a.value} value={a.value}>
            {a.label}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void ask()}>
        Act on matching…
      </button>
      <span role="status" className="messages">
        {done && <span className="notice notice-ok">{done}</span>}
      </span>
      <ErrorNotice error={error} title="Nothing was changed." />
      {asking && (
        <ConfirmDialog
          title={`${chosen.label}: ${plural(asking.count, 'matching message')}?`}
          confirmLabel="Yes"
          danger={asking.action === 'delete'}
          busy={busy || asking.count === 0}
          onConfirm={() => void run()}
          onCancel={() => !busy && setAsking(null)}
        >
          <p>
            {asking.count === 0
              ? 'No message matches the filter now: there is nothing to do.'
              : `${plural(asking.count, 'message')} ${asking.count === 1 ? 'matches' : 'match'} the filter: ${describeFilter(filter)}. ${asking.action === 'delete' ? 'They will be removed from the queue and never sent.' : ''}`}
          </p>
          {busy && <ProgressLine done={running?.done ?? 0} total={running?.total ?? asking.count} />}
        </ConfirmDialog>
      )}
    </span>
  )
}

function ProgressLine({ done, total }: { done: number; total: number }) {
  return (
    <p>
      <progress max={total} value={done} aria-label="Progress" /> {formatCount(done)} of {formatCount(total)} done…
    </p>
  )
}

/** Delete Queue's or Flush Queue's progress while it runs, from queue.progress events. */
export function BulkProgress({ action }: { action: QueueBulkAction }) {
  const { queueSummary } = useStores()
  const progress = useSlice(queueSummary, (s) => s.progress)
  if (!progress || progress.finished || progress.action !== action) return null
  return <ProgressLine done={progress.done} total={progress.total} />
}
