import type { DomainDelivery } from '../../../shared/report.ts'
import { formatBytes } from '../../../shared/format.ts'
import { formatCount, formatDelay } from '../../format.ts'
import { Address } from '../Cells.tsx'
import { DataTable, type Column } from '../DataTable.tsx'

// Message delivery per recipient domain, as pflogsumm's host/domain summary.

const DOMAIN_COLUMNS: Column<DomainDelivery>[] = [
  { key: 'domain', header: 'Domain', cell: (d) => <Address text={d.domain} /> },
  { key: 'sent', header: 'Sent', num: true, width: 'w-count', cell: (d) => formatCount(d.sent) },
  { key: 'bytes', header: 'Bytes', num: true, width: 'w-bytes', cell: (d) => formatBytes(d.bytes) },
  { key: 'defers', header: 'Defers', num: true, width: 'w-count', cellClass: (d) => (d.defers > 0 ? 'tone-deferred' : undefined), cell: (d) => formatCount(d.defers) },
  { key: 'avg', header: 'Avg delay', num: true, width: 'w-report-delay', cell: (d) => (d.sent > 0 ? formatDelay(d.avgDelayMs) : '—') },
  { key: 'max', header: 'Max delay', num: true, width: 'w-report-delay', cell: (d) => formatDelay(d.maxDelayMs) },
]

export function DomainSummary({ domains, top }: { domains: DomainDelivery[]; top: number }) {
  return (
    <section aria-labelledby="report-domains" className="card report-card">
      <div className="section-head">
        <h2 id="report-domains">Host/domain summary</h2>
        <span className="muted small-note">message delivery, top {top}</span>
      </div>
      <DataTable className="grid report-domains" columns={DOMAIN_COLUMNS} rows={domains} rowKey={(d) => d.domain} empty="No message was delivered or deferred this day." />
    </section>
  )
}
