import { useEffect, useState } from 'react'
import type { ApiError } from '../../shared/api.ts'
import { QUEUE_STATES, type QueueEntry } from '../../shared/types.ts'
import { ConfirmDialog } from '../components/Dialog.tsx'
import { MessageDialog } from '../components/MessageDialog.tsx'
import { ActOnMatching } from '../components/ActOnMatching.tsx'
import { ErrorNotice } from '../components/Notices.tsx'
import { RetryNotice } from '../components/Outcomes.tsx'
import { Pager } from '../components/Pager.tsx'
import { FilterSelect, SearchBox } from '../components/SearchBox.tsx'
import { QueueTable } from '../components/Tables.tsx'
import { plural } from '../format.ts'
import { keepPageSizeInUrl, pageSizeFromUrl } from '../hooks/pageSizeInUrl.ts'
import { useSlice, useStores } from '../stores/index.ts'

// Mail Queue: every message waiting to be sent, newest first, with the
// actions on one message. Deleting asks first.

export function QueuePage() {
  const { queue, queueSummary, delivery } = useStores()
  const state = useSlice(queue, (s) => s)
  // Retry now follows the message's next attempt: its progress since the click says what became of it.
  const [retried, setRetried] = useState<{ entry: QueueEntry; after: number } | null>(null)
  const retryProgress = useSlice(delivery, (s) => (retried ? s.progress[retried.entry.queueId] : undefined))
  const [confirm, setConfirm] = useState<QueueEntry | null>(null)
  const [viewing, setViewing] = useState<QueueEntry | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const [actionError, setActionError] = useState<ApiError | null>(null)

  useEffect(() => {
    const off = queue.getState().watch('page')
    const size = pageSizeFromUrl()
    if (size !== null && size !== queue.getState().limit) void queue.getState().setLimit(size)
    else void queue.getState().load()
    return off
  }, [queue])

  // What one action did belongs to the list it was done in: a new search starts without it.
  const f = state.filter
  useEffect(() => {
    setMessage(null)
    setRetried(null)
  }, [f.state, f.text, f.domain, f.sender, f.olderThanMinutes])

  async function act(run: () => Promise<{ ok: true } | { ok: false; error: ApiError }>, done: string) {
    setMessage(null)
    setRetried(null)
    setActionError(null)
    const result = await run()
    if (result.ok) setMessage(done)
    else setActionError(result.error)
  }

  const actions = {
    onSource: (e: QueueEntry) => setViewing(e),
    onRetry: async (e: QueueEntry) => {
      setMessage(null)
      setActionError(null)
      // Only progress after the click tells of this attempt: earlier attempts' stages stay in the store.
      const after = delivery.getState().progress[e.queueId]?.at(-1)?.at ?? 0
      setRetried({ entry: e, after })
      const result = await queueSummary.getState().retry(e.queueId)
      if (!result.ok) {
        setRetried(null)
        setActionError(result.error)
      }
    },
    onHold: (e: QueueEntry) => act(() => queueSummary.getState().hold(e.queueId), `${e.queueId} is on hold: it will not be sent until released.`),
    onRelease: (e: QueueEntry) => act(() => queueSummary.getState().release(e.queueId), `${e.queueId} is released and will be sent.`),
    onDelete: (e: QueueEntry) => setConfirm(e),
  }

  async function deleteConfirmed() {
    if (!confirm) return
    const entry = confirm
    setBusy(true)
    await act(async () => {
      const result = await queueSummary.getState().remove(entry.queueId)
      if (result.ok && !result.data.deleted) return { ok: false, error: { code: 'not_found', message: `${entry.queueId} had already left the queue.` } }
      return result
    }, `Deleted ${entry.queueId}.`)
    setBusy(false)
    setConfirm(null)
  }

  const filtered = f.state !== '' || [f.text, f.domain, f.sender, f.olderThanMinutes].some((v) => v.trim() !== '')
  const page = state.page

  return (
    <div className="list-page">
      <div className="filters">
        <FilterSelect label="State" value={state.filter.state} options={QUEUE_STATES} onChange={(v) => void queue.getState().setFilter({ state: v })} />
        <SearchBox value={state.filter.text} placeholder="Address, queue id, subject or reason" onSearch={(text) => void queue.getState().setFilter({ text })} />
        <SearchBox label="Recipient domain" value={f.domain} placeholder="example.com" onSearch={(domain) => void queue.getState().setFilter({ domain })} />
        <SearchBox label="Sender" value={f.sender} placeholder="Address" onSearch={(sender) => void queue.getState().setFilter({ sender })} />
        <SearchBox label="Older than (minutes)" type="number" value={f.olderThanMinutes} onSearch={(olderThanMinutes) => void queue.getState().setFilter({ olderThanMinutes })} />
        <ActOnMatching filter={f} />
      </div>
      <div className="messages" aria-live="polite">
        {message && <p className="notice notice-ok">{message}</p>}
        {retried && <RetryNotice queueId={retried.entry.queueId} recipients={retried.entry.recipients.length} progress={(retryProgress ?? []).filter((p) => p.at > retried.after)} />}
      </div>
      <ErrorNotice error={actionError} />
      <ErrorNotice error={state.error} title="The queue could not be read." />
      <div className="table-scroll">
        {page && (
          <QueueTable
            entries={page.items}
            actions={actions}
            caption="Mail Queue"
            empty={filtered ? 'No queued message matches the filter. Clear the filters to see the whole queue.' : 'The queue is empty. Messages waiting to be sent appear here.'}
          />
        )}
      </div>
      <Pager
        page={page}
        limit={state.limit}
        loading={state.loading}
        onPrev={() => void queue.getState().prev()}
        onNext={() => void queue.getState().next()}
        onLimit={(n) => {
          keepPageSizeInUrl(n)
          void queue.getState().setLimit(n)
        }}
      />
      {confirm && (
        <ConfirmDialog title={`Delete ${confirm.queueId}?`} confirmLabel="Delete" danger busy={busy} onConfirm={() => void deleteConfirmed()} onCancel={() => setConfirm(null)}>
          <p>
            The message from {confirm.sender || '<>'} to {plural(confirm.recipientCount, 'recipient')} will be removed from the queue and never sent.
          </p>
        </ConfirmDialog>
      )}
      {viewing && <MessageDialog queueId={viewing.queueId} onClose={() => setViewing(null)} />}
    </div>
  )
}
