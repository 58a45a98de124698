import { QUEUE_STATES, type QueueState } from '../../shared/types.ts'
import { Badge } from '../components/Cells.tsx'
import { DataTable, type Column } from '../components/DataTable.tsx'
import { BulkProgress } from '../components/ActOnMatching.tsx'
import { ConfirmDialog } from '../components/Dialog.tsx'
import { Empty, ErrorNotice } from '../components/Notices.tsx'
import { formatCount, plural } from '../format.ts'
import { href } from '../routes.ts'
import { useConfirmedAction } from '../hooks/useConfirmedAction.ts'
import { useQueueSummary } from '../hooks/useQueueSummary.ts'
import { useSlice, useStores } from '../stores/index.ts'
import { FlushOutcomeNotice } from '../components/Outcomes.tsx'

// Delete Queue and Flush Queue: the two operations on the whole queue. Both
// say how many messages they touch before and after.

const STATE_COLUMNS: Column<{ state: QueueState; count: number }>[] = [
  { key: 'state', header: 'State', cell: (r) => <Badge value={r.state} /> },
  { key: 'count', header: 'Messages', num: true, cell: (r) => formatCount(r.count) },
]

const DOMAIN_COLUMNS: Column<{ domain: string; count: number }>[] = [
  { key: 'domain', header: 'Domain', cellClass: 'clip', cellTitle: (d) => d.domain, cell: (d) => d.domain },
  { key: 'count', header: 'Recipients', num: true, cell: (d) => formatCount(d.count) },
]

export function DeleteQueuePage() {
  const { queueSummary } = useStores()
  const { summary, error } = useQueueSummary()
  const { asking, setAsking, busy, done, actionError, run: deleteAll } = useConfirmedAction(
    () => queueSummary.getState().deleteAll(),
    (data) => `Deleted ${plural(data.count, 'message')}.`,
  )

  const total = summary?.total ?? 0
  return (
    <>
      <p className="lead">
        Deleting the queue wipes out every message waiting to be sent; they are not regenerated. It can help after a large backlog from a long outage, or to start
        troubleshooting with a clean slate. Assess the entries first in the <a href={href('/queue')}>queue</a>.
      </p>
      <ErrorNotice error={error} title="The queue could not be read." />
      <div role="status" className="messages">
        {done && <p className="notice notice-ok">{done}</p>}
      </div>
      <ErrorNotice error={actionError} title="The queue was not deleted." />
      {summary && (
        <>
          {total === 0 ? (
            <Empty>The queue is empty: there is nothing to delete.</Empty>
          ) : (
            <p className="big-count">
              <strong className="num">{plural(total, 'message')}</strong> in the queue.
            </p>
          )}
          <div className="summary-tables">
            <DataTable
              className="grid small"
              caption="By state"
              showCaption
              columns={STATE_COLUMNS}
              rows={QUEUE_STATES.map((state) => ({ state, count: summary.byState[state] }))}
              rowKey={(r) => r.state}
            />
            {summary.byDomain.length > 0 && (
              <DataTable className="grid small" caption="Top recipient domains" showCaption columns={DOMAIN_COLUMNS} rows={summary.byDomain} rowKey={(d) => d.domain} />
            )}
          </div>
          <div className="form-actions">
            <button type="button" className="danger" disabled={total === 0} onClick={() => setAsking(true)}>
              Delete Queue
            </button>
          </div>
        </>
      )}
      {asking && (
        <ConfirmDialog title="Delete the whole queue?" confirmLabel="Yes" danger busy={busy} onConfirm={() => void deleteAll()} onCancel={() => setAsking(false)}>
          <p>
            {plural(total, 'message')} will be deleted and never sent. This cannot be undone.
          </p>
          {busy && <BulkProgress action="deleteAll" />}
        </ConfirmDialog>
      )}
    </>
  )
}

export function FlushQueuePage() {
  const { queueSummary } = useStores()
  const { summary, error } = useQueueSummary()
  const { asking, setAsking, busy, done, actionError, run: flush } = useConfirmedAction(
    () => queueSummary.getState().flush(),
    (data) => data.count,
  )
  // What the flushed messages became, as their attempts end (queue.progress events).
  const progress = useSlice(queueSummary, (s) => s.progress)
  const outcome = progress?.action === 'flush' ? (progress.outcome ?? null) : null

  const deferred = summary?.byState.deferred ?? 0
  return (
    <>
      <p className="lead">
        Flushing the queue expedites sending: every deferred message is attempted again now instead of waiting for its next retry. Use it when messages were stuck
        from a problem that is now resolved (a misconfiguration, a network outage, a service delay). Flushing does not delete messages.
      </p>
      <ErrorNotice error={error} title="The queue could not be read." />
      <div role="status" className="messages">
        {done !== null && <FlushOutcomeNotice count={done} outcome={outcome} />}
      </div>
      <ErrorNotice error={actionError} title="The queue was not flushed." />
      {summary && (
        <p className="big-count">
          {deferred === 0 ? (
            'No message is deferred: nothing is waiting for a retry.'
          ) : (
            <>
              <strong className="num">{plural(deferred, 'deferred message')}</strong> waiting for a retry.
            </>
          )}{' '}
          {summary.byState.hold > 0 && <span className="muted">{plural(summary.byState.hold, 'message')} on hold {summary.byState.hold === 1 ? 'stays' : 'stay'} on hold.</span>}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="primary" onClick={() => setAsking(true)}>
          Flush Queue
        </button>
      </div>
      {asking && (
        <ConfirmDialog title="Flush the queue?" confirmLabel="Yes" busy={busy} onConfirm={() => void flush()} onCancel={() => setAsking(false)}>
          <p>Every deferred message ({formatCount(deferred)} now) will be attempted again at once.</p>
          {busy && <BulkProgress action="flush" />}
        </ConfirmDialog>
      )}
    </>
  )
}
