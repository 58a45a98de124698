import { PAGE_SIZES } from '../stores/paged.ts'

// Page size kept in the address (#/queue?limit=100): a reload or a bookmark shows as many rows as before.
// replaceState, not a new hash: changing the size is no step Back should undo, and the route stays as it is.

function hashParts(): { path: string; params: URLSearchParams } {
  const [path = '', query = ''] = window.location.hash.replace(/^#/, '').split('?', 2)
  return { path, params: new URLSearchParams(query) }
}

/** The page size the address names, when it is one the Pager offers. */
export function pageSizeFromUrl(): number | null {
  const n = Number(hashParts().params.get('limit'))
  return (PAGE_SIZES as readonly number[]).includes(n) ? n : null
}

export function keepPageSizeInUrl(limit: number): void {
  const { path, params } = hashParts()
  params.set('limit', String(limit))
  window.history.replaceState(window.history.state, '', `#${path}?${params.toString()}`)
}
