import { useState } from 'react'
import type { ApiRequest } from '../../shared/api.ts'
import { formatCount } from '../format.ts'
import { useStores } from '../stores/index.ts'

// Export CSV on the Mail Log and Logs: everything the current filter selects,
// not only the page shown. The desktop app asks where to save it and streams
// it there; a browser follows a one-time download link.

type Note = { kind: 'ok' | 'error'; text: string } | null

export function ExportCsvButton({ request }: { request: ApiRequest<'logs.exportCsv'> }) {
  const { api } = useStores()
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<Note>(null)

  async function run() {
    setBusy(true)
    setNote(null)
    try {
      const result = await api['logs.exportCsv'](request)
      if (!result.ok) return setNote({ kind: 'error', text: `Not exported: ${result.error.message}` })
      const done = result.data
      if (done.kind === 'saved') setNote({ kind: 'ok', text: `Saved ${formatCount(done.rows)} ${done.rows === 1 ? 'row' : 'rows'} to ${done.file}.` })
      if (done.kind === 'download') {
        follow(done.href, done.filename)
        setNote({ kind: 'ok', text: `Downloading ${done.filename}.` })
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <button type="button" disabled={busy} onClick={() => void run()}>
        {busy ? 'Exporting…' : 'Export CSV'}
      </button>
      <span role="status" className={note?.kind === 'error' ? 'report-note report-note-error' : 'report-note'}>
        {note?.text}
      </span>
    </>
  )
}

/** Lets the browser download the file itself, streamed to disk, never held by the page. */
function follow(href: string, filename: string): void {
  const link = document.createElement('a')
  link.href = href
  link.download = filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
}
