import type { CountAndBytes } from '../../../shared/report.ts'
import { formatBytes } from '../../../shared/format.ts'
import { formatCount } from '../../format.ts'
import { Address } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'

// A top list of the day (senders, recipients, their domains) by messages or by bytes.

export function TopList({ title, keyLabel, rows, by, empty }: { title: string; keyLabel: string; rows: CountAndBytes[]; by: 'count' | 'bytes'; empty: string }) {
  const columns: Column<CountAndBytes>[] = [
    { key: 'key', header: keyLabel, cell: (r) => <Address text={r.key || '<>'} /> },
    { key: 'count', header: 'Messages', num: true, sorted: by === 'count', width: 'w-count', cellClass: by === 'count' ? 'strong' : undefined, cell: (r) => formatCount(r.count) },
    { key: 'bytes', header: 'Bytes', num: true, sorted: by === 'bytes', width: 'w-bytes', cellClass: by === 'bytes' ? 'strong' : undefined, cell: (r) => formatBytes(r.bytes) },
  ]
  return (
    <section className="card report-card" aria-label={title}>
      <h2>{title}</h2>
      <DataTable className="grid report-top" columns={columns} rows={rows} rowKey={(r) => r.key} empty={empty} />
    </section>
  )
}
