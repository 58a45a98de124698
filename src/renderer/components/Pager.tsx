import { useId } from 'react'
import type { Page } from '../../shared/types.ts'
import { formatCount, positionText } from '../format.ts'
import { PAGE_SIZES } from '../stores/paged.ts'

// Prev / position / Next and the page size, at the bottom of every long table.

export interface PagerProps {
  page: Page<unknown> | null
  limit: number
  loading: boolean
  onPrev(): void
  onNext(): void
  onLimit(limit: number): void
}

export function Pager({ page, limit, loading, onPrev, onNext, onLimit }: PagerProps) {
  const sizeId = useId()
  return (
    <div className="pager">
      <button type="button" onClick={onPrev} disabled={!page?.prevCursor}>
        Prev
      </button>
      <span className="pager-position" aria-live="polite">
        {page ? positionText(page) : loading ? 'Loading…' : ''}
      </span>
      <button type="button" onClick={onNext} disabled={!page?.nextCursor}>
        Next
      </button>
      <label className="pager-size" htmlFor={sizeId}>
        Page size
      </label>
      <select id={sizeId} value={limit} onChange={(e) => onLimit(Number(e.target.value))}>
        {PAGE_SIZES.map((n) => (
          <option key={n} value={n}>
            {formatCount(n)}
          </option>
        ))}
      </select>
      {loading && page && <span className="pager-loading">Loading…</span>}
    </div>
  )
}

/** Shown on a deeper page of a log when entries arrive: the admin stays where they are. */
export function NewEntries({ count, onNewest }: { count: number; onNewest(): void }) {
  if (count <= 0) return null
  return (
    <div className="new-entries" role="status">
      <button type="button" className="link-button" onClick={onNewest}>
        {formatCount(count)} new {count === 1 ? 'entry' : 'entries'} — go to newest
      </button>
    </div>
  )
}
