import { useLayoutEffect, useState, type Key, type ReactNode } from 'react'
import { Empty } from './Notices.tsx'

// Every table of the console: its columns as data, so the header, the width
// and the cell of a column are written once and side by side.

export interface Column<R> {
  /** React key of the column; unique in the table. */
  key: string
  /** The header: its text is the column's accessible name. */
  header: ReactNode
  /** Header read by screen readers only (an actions column needs a name, not a label on screen). */
  hideHeader?: boolean
  /** Tooltip of the header. */
  headerTitle?: string
  /** Header of the column the rows are sorted by, in descending order. */
  sorted?: boolean
  /** Width class of the column (w-id, w-time…, in tables.css); without one it takes what is left. */
  width?: string
  /**
   * How soon the column gives way when the table is narrow: `low` first (below a 1280-wide window),
   * `medium` next (at 1024). Without one it always shows: what explains a row never goes.
   */
  priority?: 'low' | 'medium'
  /** Figures: right-aligned, in the header and every cell. */
  num?: boolean
  /** The cell names its row: a header cell, scope="row". */
  rowHeader?: boolean
  /** Class of every cell, or of one row's cell (a state colour when the figure is not zero). */
  cellClass?: string | ((row: R) => string | undefined)
  /** Tooltip of one row's cell. */
  cellTitle?: (row: R) => string | undefined
  cell(row: R): ReactNode
}

/** A line under a row across the whole table: the decoded cause under a failed delivery. */
export interface RowDetail {
  className?: string
  content: ReactNode
}

interface Common<R> {
  columns: readonly (Column<R> | false | null | undefined)[]
  rowKey(row: R): Key
  rowClass?(row: R): string | undefined
  className: string
  /** The table's name; on screen only when `showCaption`. */
  caption?: string
  showCaption?: boolean
  /** Said instead of an empty table; without it an empty table keeps its header. */
  empty?: ReactNode
  /** Each row in its own tbody with this line under it (so the pair stripes and hovers as one). */
  detail?(row: R): RowDetail | null
}

export type DataTableProps<R> = Common<R> & ({ rows: readonly R[]; groups?: never } | { groups: readonly (readonly R[])[]; rows?: never })

const join = (...names: (string | false | null | undefined)[]) => names.filter(Boolean).join(' ') || undefined

/**
 * The room (the table's container, in px) below which a column of that priority gives way. Columns are
 * left out, not hidden by CSS: a detail row's colspan and the fixed layout's widths then count only what shows.
 */
export const GIVES_WAY_BELOW = { low: 1150, medium: 880 } as const

/** The width of the element's container, followed as it changes; null until measured (or where nothing measures, as in tests). */
function useContainerWidth(): [number | null, (el: HTMLElement | null) => void] {
  const [el, setEl] = useState<HTMLElement | null>(null)
  const [width, setWidth] = useState<number | null>(null)
  useLayoutEffect(() => {
    const parent = el?.parentElement
    if (!parent || typeof ResizeObserver === 'undefined') return
    // Measured before the first paint, so the full set of columns never flashes on a narrow page.
    const measure = () => setWidth(parent.clientWidth)
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(parent)
    return () => observer.disconnect()
  }, [el])
  return [width, setEl]
}

export function DataTable<R>(props: DataTableProps<R>) {
  const { rowKey, rowClass, className, caption, showCaption, empty, detail } = props
  const [room, measure] = useContainerWidth()
  const columns = props.columns.filter((c): c is Column<R> => Boolean(c)).filter((c) => !c.priority || room === null || room >= GIVES_WAY_BELOW[c.priority])
  const groups = props.groups ?? [props.rows]
  if (empty !== undefined && groups.every((g) => g.length === 0)) return <Empty>{empty}</Empty>

  const row = (r: R) => (
    <tr key={rowKey(r)} className={rowClass?.(r)}>
      {columns.map((c) => {
        const cls = join(c.num && 'num', typeof c.cellClass === 'function' ? c.cellClass(r) : c.cellClass)
        const title = c.cellTitle?.(r)
        return c.rowHeader ? (
          <th key={c.key} scope="row" className={cls} title={title}>
            {c.cell(r)}
          </th>
        ) : (
          <td key={c.key} className={cls} title={title}>
            {c.cell(r)}
          </td>
        )
      })}
    </tr>
  )

  const withDetail = (r: R) => {
    const more = detail!(r)
    return (
      <tbody key={rowKey(r)}>
        {row(r)}
        {more && (
          <tr className={more.className}>
            <td colSpan={columns.length}>{more.content}</td>
          </tr>
        )}
      </tbody>
    )
  }

  return (
    <table className={className} ref={measure}>
      {caption && <caption className={showCaption ? undefined : 'visually-hidden'}>{caption}</caption>}
      {columns.some((c) => c.width) && (
        <colgroup>
          {columns.map((c) => (
            <col key={c.key} className={c.width} />
          ))}
        </colgroup>
      )}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} scope="col" className={c.num ? 'num' : undefined} title={c.headerTitle} aria-sort={c.sorted ? 'descending' : undefined}>
              {c.hideHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
            </th>
          ))}
        </tr>
      </thead>
      {detail ? groups.flatMap((g) => g.map(withDetail)) : groups.map((g, i) => <tbody key={i}>{g.map(row)}</tbody>)}
    </table>
  )
}
