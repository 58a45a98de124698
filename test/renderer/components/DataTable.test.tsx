// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { DataTable, type Column } from '../../../src/renderer/components/DataTable.tsx'

// The one table of the console: what a screen reader and the stylesheet find in it.

interface Line {
  name: string
  count: number
  note: string | null
}

const lines: Line[] = [
  { name: 'example.com', count: 12, note: null },
  { name: 'example.org', count: 0, note: 'Greylisted' },
]

const columns: Column<Line>[] = [
  { key: 'name', header: 'Domain', rowHeader: true, width: 'w-address', cell: (l) => l.name },
  { key: 'count', header: 'Messages', num: true, sorted: true, width: 'w-count', cellClass: (l) => (l.count > 0 ? 'tone-delivered' : undefined), cell: (l) => l.count },
  { key: 'actions', header: 'Actions', hideHeader: true, cellClass: 'actions', cellTitle: (l) => `Act on ${l.name}`, cell: () => <button type="button">Go</button> },
]

afterEach(cleanup)

describe('DataTable', () => {
  it('names its columns, rows and caption the way the hand-built tables did', () => {
    render(<DataTable className="grid" caption="Top domains" columns={columns} rows={lines} rowKey={(l) => l.name} rowClass={(l) => `row-${l.count}`} />)
    const table = screen.getByRole('table', { name: 'Top domains' })
    expect(table.className).toBe('grid')
    expect(table.querySelector('caption')!.className).toBe('visually-hidden')
    expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Domain', 'Messages', 'Actions'])
    for (const th of within(table).getAllByRole('columnheader')) expect(th.getAttribute('scope')).toBe('col')
    // The actions column is named for screen readers only.
    expect(within(table).getByRole('columnheader', { name: 'Actions' }).querySelector('.visually-hidden')).not.toBeNull()
    expect(within(table).getByRole('columnheader', { name: 'Messages' })).toHaveProperty('className', 'num')
    expect(within(table).getByRole('columnheader', { name: 'Messages' }).getAttribute('aria-sort')).toBe('descending')
    expect(within(table).getByRole('columnheader', { name: 'Domain' }).getAttribute('aria-sort')).toBeNull()

    const row = within(table).getByRole('row', { name: /example\.com/ })
    expect(row.className).toBe('row-12')
    const header = within(row).getByRole('rowheader', { name: 'example.com' })
    expect(header.getAttribute('scope')).toBe('row')
    const cells = within(row).getAllByRole('cell')
    expect(cells.map((c) => c.className)).toEqual(['num tone-delivered', 'actions'])
    expect(cells[1]!.title).toBe('Act on example.com')
    expect(within(table).getByRole('row', { name: /example\.org/ }).querySelector('td')!.className).toBe('num')
    expect([...table.querySelectorAll('col')].map((c) => c.className)).toEqual(['w-address', 'w-count', ''])
  })

  it('says the empty state instead of an empty table, and keeps the header without one', () => {
    const { unmount } = render(<DataTable className="grid" caption="Top domains" columns={columns} rows={[]} rowKey={(l) => l.name} empty="No mail was sent this day." />)
    expect(screen.queryByRole('table')).toBeNull()
    expect(screen.getByText('No mail was sent this day.')).toBeTruthy()
    unmount()
    render(<DataTable className="grid" caption="Top domains" showCaption columns={columns} rows={[]} rowKey={(l) => l.name} />)
    const table = screen.getByRole('table', { name: 'Top domains' })
    expect(table.querySelector('caption')!.className).toBe('')
    expect(within(table).getAllByRole('row')).toHaveLength(1)
  })

  it('puts a detail line under its row, across the table, in the row’s own tbody', () => {
    render(
      <DataTable
        className="grid grouped"
        columns={columns.slice(0, 2)}
        rows={lines}
        rowKey={(l) => l.name}
        detail={(l) => (l.note ? { className: 'explain-row', content: l.note } : null)}
      />,
    )
    const bodies = screen.getByRole('table').querySelectorAll('tbody')
    expect(bodies).toHaveLength(2)
    expect(bodies[0]!.querySelectorAll('tr')).toHaveLength(1)
    const explain = bodies[1]!.querySelectorAll('tr')[1]!
    expect(explain.className).toBe('explain-row')
    expect(explain.querySelector('td')!.colSpan).toBe(2)
    expect(explain.textContent).toBe('Greylisted')
  })

  it('keeps groups of rows in their own tbody, and no colgroup when no column has a width', () => {
    const plain = columns.map((c) => ({ ...c, width: undefined }))
    render(<DataTable className="grid" columns={plain} groups={[lines.slice(0, 1), lines.slice(1)]} rowKey={(l) => l.name} />)
    const table = screen.getByRole('table')
    expect([...table.querySelectorAll('tbody')].map((b) => b.querySelectorAll('tr').length)).toEqual([1, 1])
    expect(table.querySelector('colgroup')).toBeNull()
  })
})
