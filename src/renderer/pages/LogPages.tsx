import { useEffect, useState } from 'react'
import { EVENT_LEVELS, MAIL_LOG_STATUSES } from '../../shared/types.ts'
import { ExportCsvButton } from '../components/ExportCsv.tsx'
import { MessageDialog } from '../components/MessageDialog.tsx'
import { ErrorNotice } from '../components/Notices.tsx'
import { NewEntries, Pager } from '../components/Pager.tsx'
import { keepPageSizeInUrl, pageSizeFromUrl } from '../hooks/pageSizeInUrl.ts'
import { FilterSelect, SearchBox } from '../components/SearchBox.tsx'
import { EventsTable, MailLogTable } from '../components/Tables.tsx'
import { useSlice, useStores } from '../stores/index.ts'

// Mail Log and Logs: newest first, Next/Prev at any depth; page one updates
// live, deeper pages say how many entries arrived.

export function MailLogPage() {
  const { mailLog } = useStores()
  const state = useSlice(mailLog, (s) => s)
  const [opened, setOpened] = useState<string | null>(null)
  useEffect(() => {
    const off = mailLog.getState().watch('page')
    const size = pageSizeFromUrl()
    if (size !== null && size !== mailLog.getState().limit) void mailLog.getState().setLimit(size)
    else void mailLog.getState().load()
    return off
  }, [mailLog])
  const filtered = state.filter.status !== '' || state.filter.text.trim() !== ''
  return (
    <div className="list-page">
      <div className="filters">
        <FilterSelect label="Status" value={state.filter.status} options={MAIL_LOG_STATUSES} onChange={(v) => void mailLog.getState().setFilter({ status: v })} />
        <SearchBox value={state.filter.text} placeholder="Address, queue id, subject or reply" onSearch={(text) => void mailLog.getState().setFilter({ text })} />
        <ExportCsvButton request={{ log: 'mailLog', ...(state.filter.status ? { status: state.filter.status } : {}), ...(state.filter.text.trim() ? { text: state.filter.text.trim() } : {}) }} />
        <NewEntries count={state.newEntries} onNewest={() => void mailLog.getState().goNewest()} />
      </div>
      <ErrorNotice error={state.error} title="The Mail Log could not be read." />
      <div className="table-scroll">
        {state.page && (
          <MailLogTable
            entries={state.page.items}
            caption="Mail Log"
            onOpen={setOpened}
            empty={
              filtered
                ? 'No entry matches the filter. Clear the Status or Search filter to see the whole log.'
                : 'No mail has been sent yet. Use Send Test Email to check the configuration; every delivery attempt appears here.'
            }
          />
        )}
      </div>
      <Pager
        page={state.page}
        limit={state.limit}
        loading={state.loading}
        onPrev={() => void mailLog.getState().prev()}
        onNext={() => void mailLog.getState().next()}
        onLimit={(n) => {
          keepPageSizeInUrl(n)
          void mailLog.getState().setLimit(n)
        }}
      />
      {opened && <MessageDialog queueId={opened} onClose={() => setOpened(null)} />}
    </div>
  )
}

export function LogsPage() {
  const { events } = useStores()
  const state = useSlice(events, (s) => s)
  useEffect(() => {
    const off = events.getState().watch('page')
    const size = pageSizeFromUrl()
    if (size !== null && size !== events.getState().limit) void events.getState().setLimit(size)
    else void events.getState().load()
    return off
  }, [events])
  const filtered = state.filter.level !== '' || state.filter.text.trim() !== ''
  return (
    <div className="list-page">
      <div className="filters">
        <FilterSelect label="Level" value={state.filter.level} options={EVENT_LEVELS} onChange={(v) => void events.getState().setFilter({ level: v })} />
        <SearchBox value={state.filter.text} placeholder="Text, address or queue id" onSearch={(text) => void events.getState().setFilter({ text })} />
        <ExportCsvButton request={{ log: 'events', ...(state.filter.level ? { level: state.filter.level } : {}), ...(state.filter.text.trim() ? { text: state.filter.text.trim() } : {}) }} />
        <NewEntries count={state.newEntries} onNewest={() => void events.getState().goNewest()} />
      </div>
      <ErrorNotice error={state.error} title="The Logs could not be read." />
      <div className="table-scroll">
        {state.page && (
          <EventsTable
            entries={state.page.items}
            caption="Logs"
            empty={
              filtered
                ? 'No event matches the filter. Clear the Level or Search filter to see all events.'
                : 'No events yet. Settings changes, queue operations and delivery problems are recorded here.'
            }
          />
        )}
      </div>
      <Pager
        page={state.page}
        limit={state.limit}
        loading={state.loading}
        onPrev={() => void events.getState().prev()}
        onNext={() => void events.getState().next()}
        onLimit={(n) => {
          keepPageSizeInUrl(n)
          void events.getState().setLimit(n)
        }}
      />
    </div>
  )
}
