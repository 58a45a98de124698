// @vitest-environment jsdom
import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { localDay } from '../../src/renderer/format.ts'
import { createFakeApi } from './fake-api.ts'
import { renderConsole } from './render.tsx'

describe("Today's and Yesterday's Report", () => {
  it('asks for the local day and shows its totals and top lists', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/today')
    const totals = await screen.findByRole('region', { name: 'Totals' })
    expect(fake.callsOf('reports.day')).toEqual([{ date: localDay(0) }])
    const row = (name: string) => within(totals).getByRole('rowheader', { name }).closest('tr')!.textContent
    expect(row('Received')).toContain('12')
    expect(row('Deferred')).toContain('2 messages / 5 deferrals')
    expect(row('Bytes received')).toContain('42 KB')
    expect(within(screen.getByRole('region', { name: 'Messages by sender' })).getByText('alerts@example.com')).toBeTruthy()
  })

  it('asks for yesterday on Yesterday’s Report', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/yesterday')
    await screen.findByRole('region', { name: 'Totals' })
    expect(fake.callsOf('reports.day')).toEqual([{ date: localDay(-1) }])
  })
})
