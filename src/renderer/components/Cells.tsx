import { Fragment, type ReactNode } from 'react'

// Small pieces of the dense tables: coloured states, and text cut with an ellipsis but whole on hover.

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value}`}>{value}</span>
}

export function Clip({ text, title, children }: { text?: string | null; title?: string; children?: ReactNode }) {
  const shown = children ?? text ?? ''
  return (
    <span className="clip" title={title ?? text ?? undefined}>
      {shown === '' ? '—' : shown}
    </span>
  )
}

/** An address (or a few): wraps over at most two lines where the column is narrow, whole on hover. */
export function Address({ text, title }: { text: string; title?: string }) {
  // A line breaks after the @ first, so the local part and the domain each stay whole where they fit.
  const parts = text.split('@')
  return (
    <span className="address" title={title ?? text}>
      {text === ''
        ? '—'
        : parts.map((part, i) => (
            <Fragment key={i}>
              {part}
              {i < parts.length - 1 && (
                <>
                  @<wbr />
                </>
              )}
            </Fragment>
          ))}
    </span>
  )
}

const ICONS = {
  retry: 'M13 3a1 1 0 0 0-1 1v1.6A6 6 0 1 0 14 10h-2a4 4 0 1 1-1.4-3.1L9 8h5V3z',
  hold: 'M4 3h3v10H4zM9 3h3v10H9z',
  release: 'M5 3l8 5-8 5z',
  delete: 'M6 2h4l1 1h3v2H2V3h3zM3 6h10l-1 9H4z',
} as const

/** A compact action button: an icon, with the full action as its accessible name and tooltip. */
export function IconButton({ icon, label, onClick, danger }: { icon: keyof typeof ICONS; label: string; onClick(): void; danger?: boolean }) {
  return (
    <button type="button" className={danger ? 'icon-button danger-icon' : 'icon-button'} aria-label={label} title={label} onClick={onClick}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
        <path d={ICONS[icon]} fill="currentColor" />
      </svg>
    </button>
  )
}
