// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { formatBytes } from '../../../src/shared/format.ts'
import { formatCount, localDay } from '../../../src/renderer/format.ts'
import { createFakeApi, fakeDayReport } from '../fake-api.ts'
import { renderConsole } from '../render.tsx'

const region = (name: string) => screen.getByRole('region', { name })
const bodyRows = (table: HTMLElement) => within(table).getAllByRole('row').slice(1)
const totalRow = (name: string) => within(region('Grand totals')).getByRole('rowheader', { name }).closest('tr')!

function barGroups(): SVGGElement[] {
  const chart = screen.getByRole('img', { name: 'Per-hour traffic chart' })
  return [...chart.querySelectorAll<SVGGElement>('g.hour-bars')]
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe("Today's and Yesterday's Report", () => {
  it('asks for the local day at Top 20 and shows the report’s numbers', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Grand totals' })
    const today = localDay(0)
    expect(fake.callsOf('reports.day')).toEqual([{ date: today, top: 20 }])
    expect(screen.getByLabelText<HTMLInputElement>('Day').value).toBe(today)
    expect(screen.getByLabelText<HTMLSelectElement>('Top').value).toBe('20')

    const r = fakeDayReport(today, 20)
    const cells = (name: string) => [...totalRow(name).querySelectorAll('td')].map((td) => td.textContent)
    expect(cells('Received')).toEqual([formatCount(r.totals.received), '+1212 more than the day before'])
    expect(cells('Delivered')).toEqual([formatCount(r.totals.delivered), '−33 fewer than the day before'])
    expect(cells('Deferred')).toEqual(['210', '0the same as the day before'])
    expect(cells('Deferrals')).toEqual(['655', '+5555 more than the day before'])
    // The two deferral figures say, in a line beside them, why they differ.
    expect(within(region('Grand totals')).getByText(/^Deferred 210 counts messages that waited at least once; Deferrals 655 counts every attempt/)).toBeTruthy()
    expect(cells('Bounced')[0]).toBe('37')
    expect(cells('Bytes received')).toEqual([formatBytes(r.totals.bytesReceived), '+1.0 MiB1.0 MiB more than the day before'])
    expect(cells('Recipient domains')[0]).toBe('3')
    // The change is read out in words, not as a bare sign.
    expect(within(totalRow('Delivered')).getByText('3 fewer than the day before').className).toBe('visually-hidden')

    const domains = within(region('Host/domain summary')).getByRole('table')
    expect(bodyRows(domains).map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent))).toEqual([
      ['example.org', '5,000', '19 MiB', '0', '0.9 s', '3.0 s'],
      ['example.com', '3,000', '11 MiB', '300', '40 s', '1h 01m'],
      ['partner.example.de', '1,000', '3.8 MiB', '600', '1m 20s', '2h 03m'],
    ])

    expect(bodyRows(within(region('Senders by message count')).getByRole('table'))[0]!.textContent).toBe('alerts@example.com12,00044 MiB')
    expect(bodyRows(within(region('Recipients by message count')).getByRole('table'))).toHaveLength(20)
    expect(bodyRows(within(region('Recipients by size')).getByRole('table'))[0]!.textContent).toBe(
      `${r.recipientsBySize[0]!.key}${r.recipientsBySize[0]!.count}${formatBytes(r.recipientsBySize[0]!.bytes)}`,
    )
    expect(within(region('Senders by size')).getAllByRole('row')).toHaveLength(3)

    const deferrals = region('Deferral detail')
    expect(within(deferrals).getByText('655 deferred attempts')).toBeTruthy()
    expect(within(deferrals).getByText('The server greylisted the message: it asks senders to come back later.')).toBeTruthy()
    expect(within(deferrals).getByText('partner.example.de (600)')).toBeTruthy()
    const bounces = region('Bounce detail')
    expect(within(bounces).getByText('39 recipients bounced or expired')).toBeTruthy()
    expect(within(bounces).getByText(/^550 5\.1\.1 <old@example\.org>/)).toBeTruthy()
    // By domain, the cause reads as its sentence; its id is in the tooltip.
    const byDomain = within(bounces).getAllByRole('table')[1]!
    expect(byDomain.textContent).toContain('example.org37The recipient address does not exist at the receiving server. (37)')
    expect(byDomain.textContent).not.toContain('unknown-recipient')
    expect(within(byDomain).getByTitle('unknown-recipient')).toBeTruthy()

    const events = region('Warnings and errors')
    // Each cause is one line; its entries are a click away. Errors lead.
    const groups = [...events.querySelectorAll('details')]
    expect(groups.map((g) => g.querySelector('summary')!.textContent)).toEqual([
      'error 1× Delivery to example.org failed: user unknown. (worker, latest 11:00:00)',
      'warning 1× Relay relay.example.com is slow to answer. (delivery, latest 09:01:02)',
      'warning 1× Greylisted by partner.example.de. (delivery, latest 10:00:00)',
      'warning 1× A message expired after 5 days. (queue, latest 12:00:00)',
    ])
    expect(bodyRows(within(groups[1]!).getByRole('table'))[0]!.textContent).toBe('09:01:02warningdeliveryRelay relay.example.com is slow to answer.')
    expect(within(events).getByRole('link', { name: 'Open Logs' }).getAttribute('href')).toBe('#/logs')
  })

  it('groups a day of 72 deferral warnings by cause with counts, closed, so the page stays short', async () => {
    const fake = createFakeApi()
    const today = localDay(0)
    const base = fakeDayReport(today, 20)
    const outage = Array.from({ length: 72 }, (_, i) => ({
      id: 100 + i,
      at: base.from + 14 * 3_600_000 + i * 1000,
      level: 'warning' as const,
      source: 'delivery',
      message: `Q${1000 + i}: user${i}@example.net deferred: The relay refused the connection.`,
    }))
    fake.handle('reports.day', () => ({ ok: true, data: { ...base, warnings: 74, errors: 0, events: [...outage, base.events[0]!, base.events[1]!] } }))
    renderConsole(fake, '#/report/today')
    const events = await screen.findByRole('region', { name: 'Warnings and errors' })
    const groups = [...events.querySelectorAll('details')]
    expect(groups).toHaveLength(3)
    expect(groups.every((g) => !g.open)).toBe(true)
    expect(groups[0]!.querySelector('summary')!.textContent).toBe('warning 72× Deferred: The relay refused the connection. (delivery, latest 14:01:11)')
    expect(bodyRows(within(groups[0]!).getByRole('table'))).toHaveLength(72)
  })

  it('draws one bar group per hour of the report, four bars each, heights following the numbers', async () => {
    renderConsole(createFakeApi(), '#/report/today')
    await screen.findByRole('img', { name: 'Per-hour traffic chart' })
    const groups = barGroups()
    expect(groups).toHaveLength(24)
    for (const g of groups) expect(g.querySelectorAll('rect')).toHaveLength(4)
    const height = (hour: number, series: string) => Number(groups[hour]!.querySelector(`rect.bar-${series}`)!.getAttribute('height'))
    // Hour 17 delivered 53, hour 8 delivered 44, hour 3 delivered 2 and deferred none.
    expect(height(17, 'delivered')).toBeGreaterThan(height(8, 'delivered'))
    expect(height(8, 'delivered')).toBeGreaterThan(height(3, 'delivered'))
    expect(height(3, 'deferred')).toBe(0)
    expect(groups[9]!.getAttribute('data-hour')).toBe('09:00–10:00')
    for (const name of ['Received', 'Delivered', 'Deferred', 'Bounced']) expect(within(screen.getByRole('list', { name: 'Legend' })).getByText(name)).toBeTruthy()
    const hourTable = within(region('Per-hour table')).getByRole('table')
    expect(bodyRows(hourTable)).toHaveLength(24)
    expect(bodyRows(hourTable)[9]!.textContent).toBe('09:00–10:00494531')
  })

  it.each([23, 25])('takes the %i hours of a daylight-saving day as the report gives them', async (hours) => {
    const fake = createFakeApi()
    fake.handle('reports.day', ({ date, top }) => ({ ok: true, data: fakeDayReport(date, top ?? 20, { hours }) }))
    renderConsole(fake, '#/report/today')
    await screen.findByRole('img', { name: 'Per-hour traffic chart' })
    expect(barGroups()).toHaveLength(hours)
    expect(bodyRows(within(region('Per-hour table')).getByRole('table'))).toHaveLength(hours)
    expect(screen.getByText(new RegExp(`a daylight-saving day of ${hours} hours`), { selector: 'p' })).toBeTruthy()
    const labels = barGroups().map((g) => g.getAttribute('data-hour'))
    // Every hour is told apart, the repeated one by its UTC offset.
    expect(new Set(labels).size).toBe(hours)
    if (hours === 23) expect(labels.some((l) => l!.startsWith('02:00'))).toBe(false)
    else expect(labels.filter((l) => l!.startsWith('01:00'))).toEqual(['01:00–02:00 UTC+01:00', '01:00–02:00 UTC+00:00'])
  })

  it('asks again with the new Top, and every list follows it', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Recipients by message count' })
    const user = userEvent.setup()
    await user.selectOptions(screen.getByLabelText('Top'), '50')
    await waitFor(() => expect(bodyRows(within(region('Recipients by message count')).getByRole('table'))).toHaveLength(50))
    expect(fake.callsOf('reports.day')).toEqual([
      { date: localDay(0), top: 20 },
      { date: localDay(0), top: 50 },
    ])
    expect(within(region('Host/domain summary')).getByText('message delivery, top 50')).toBeTruthy()
    await user.selectOptions(screen.getByLabelText('Top'), '10')
    await waitFor(() => expect(bodyRows(within(region('Recipients by size')).getByRole('table'))).toHaveLength(10))
  })

  it('asks for yesterday on Yesterday’s Report, and for any day picked in Day', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/yesterday')
    await screen.findByRole('region', { name: 'Grand totals' })
    expect(fake.callsOf('reports.day')).toEqual([{ date: localDay(-1), top: 20 }])
    fireEvent.change(screen.getByLabelText('Day'), { target: { value: '2026-03-29' } })
    await waitFor(() => expect(fake.callsOf('reports.day').at(-1)).toEqual({ date: '2026-03-29', top: 20 }))
    await screen.findByRole('columnheader', { name: '2026-03-29' })
    expect(screen.getByText('2026-03-29', { selector: 'strong' })).toBeTruthy()
    await userEvent.setup().click(screen.getByRole('button', { name: 'Back to yesterday' }))
    await waitFor(() => expect(fake.callsOf('reports.day').at(-1)).toEqual({ date: localDay(-1), top: 20 }))
    expect(screen.getByLabelText<HTMLInputElement>('Day').value).toBe(localDay(-1))
  })

  it('keeps the day picked in the URL, titles the page with it, and keeps the focus in Day', async () => {
    const fake = createFakeApi()
    const other = localDay(-3)
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Grand totals' })
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe("Today's Report")
    const dayField = screen.getByLabelText('Day')
    dayField.focus()
    fireEvent.change(dayField, { target: { value: other } })
    await waitFor(() => expect(window.location.hash).toBe(`#/report/today?day=${other}`))
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(`Report for ${other}`))
    expect(document.title).toBe(`Report for ${other} — SMTP Console`)
    expect(document.activeElement).toBe(screen.getByLabelText('Day'))
    await waitFor(() => expect(fake.callsOf('reports.day').at(-1)).toEqual({ date: other, top: 20 }))
  })

  it('opens the day named in the URL, and ignores a day that is not one', async () => {
    const fake = createFakeApi()
    const other = localDay(-5)
    renderConsole(fake, `#/report/yesterday?day=${other}`)
    await screen.findByRole('columnheader', { name: other })
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(`Report for ${other}`)
    expect(fake.callsOf('reports.day')).toEqual([{ date: other, top: 20 }])
    window.location.hash = '#/report/yesterday?day=tomorrow'
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe("Yesterday's Report"))
    expect(screen.getByLabelText<HTMLInputElement>('Day').value).toBe(localDay(-1))
  })

  it('says so when the day had no mail, and shows an error with a way to try again', async () => {
    const fake = createFakeApi()
    const empty = fakeDayReport(localDay(-1), 20)
    for (const key of Object.keys(empty.totals) as (keyof typeof empty.totals)[]) empty.totals[key] = 0
    fake.handle('reports.day', () => ({ ok: true, data: { ...empty, warnings: 0, errors: 0, events: [] } }))
    renderConsole(fake, '#/report/yesterday')
    expect(await screen.findByText(/^No mail activity on this day\./)).toBeTruthy()
    expect(screen.queryByRole('img', { name: 'Per-hour traffic chart' })).toBeNull()

    fake.handle('reports.day', () => ({ ok: false, error: { code: 'storage', message: 'The database is locked by another program.' } }))
    fireEvent.change(screen.getByLabelText('Day'), { target: { value: '2026-01-02' } })
    expect((await screen.findByRole('alert')).textContent).toBe('The report could not be made. The database is locked by another program.')
    fake.handle('reports.day', ({ date, top }) => ({ ok: true, data: fakeDayReport(date, top ?? 20) }))
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }))
    await screen.findByRole('region', { name: 'Grand totals' })
    expect(screen.queryByRole('alert')).toBeNull()
  })

  it('follows new mail log entries on today’s report', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Grand totals' })
    fake.handle('reports.day', ({ date, top }) => {
      const r = fakeDayReport(date, top ?? 20)
      r.totals.delivered += 1
      return { ok: true, data: r }
    })
    fake.emit('mailLog.appended', { count: 1 })
    await waitFor(() => expect(totalRow('Delivered').querySelector('td')!.textContent).toBe('11,021'))
  })
})

describe('exporting a report', () => {
  function captureDownloads() {
    const saved: { filename: string; href: string; blob: Blob }[] = []
    const blobs = new Map<string, Blob>()
    // jsdom has no object URLs; these stand in for the browser's, keeping what was saved.
    Object.assign(URL, {
      createObjectURL: (blob: Blob) => {
        const url = `blob:report-${blobs.size}`
        blobs.set(url, blob)
        return url
      },
      revokeObjectURL: () => {},
    })
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push({ filename: this.download, href: this.href, blob: blobs.get(this.href)! })
    })
    return saved
  }

  it('asks for text or CSV at the shown Top and saves the file under its name', async () => {
    const saved = captureDownloads()
    const fake = createFakeApi()
    renderConsole(fake, '#/report/yesterday')
    await screen.findByRole('region', { name: 'Grand totals' })
    const user = userEvent.setup()
    await user.selectOptions(screen.getByLabelText('Top'), '100')
    await user.click(screen.getByRole('button', { name: 'Export text' }))
    const day = localDay(-1)
    expect(await screen.findByText(`Exported smtp-report-${day}.txt.`)).toBeTruthy()
    expect(fake.callsOf('reports.export')).toEqual([{ date: day, top: 100, format: 'text' }])
    expect(saved).toHaveLength(1)
    expect(saved[0]!.filename).toBe(`smtp-report-${day}.txt`)
    expect(saved[0]!.blob.type).toBe('text/plain;charset=utf-8')
    expect(await saved[0]!.blob.text()).toContain('Grand Totals')

    await user.click(screen.getByRole('button', { name: 'Export CSV' }))
    // One CSV file per table, in a zip: its bytes saved as they came, not as text.
    expect(await screen.findByText(`Exported smtp-report-${day}-csv.zip.`)).toBeTruthy()
    expect(fake.callsOf('reports.export')[1]).toEqual({ date: day, top: 100, format: 'csv-zip' })
    expect(saved[1]!.filename).toBe(`smtp-report-${day}-csv.zip`)
    expect(saved[1]!.blob.type).toBe('application/zip')
    expect([...new Uint8Array(await saved[1]!.blob.arrayBuffer())]).toEqual([0x50, 0x4b, 0x05, 0x06, 0xff, 0x00, 0x80])
    // The link was only a vehicle for the download.
    expect(document.querySelectorAll('a[download]')).toHaveLength(0)
  })

  it('shows why an export failed', async () => {
    const saved = captureDownloads()
    const fake = createFakeApi()
    fake.handle('reports.export', () => ({ ok: false, error: { code: 'internal', message: 'The report took too long.' } }))
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Grand totals' })
    await userEvent.setup().click(screen.getByRole('button', { name: 'Export CSV' }))
    expect(await screen.findByText('The report could not be exported: The report took too long.')).toBeTruthy()
    expect(saved).toHaveLength(0)
  })

  it('copies the text export to the clipboard and says so, or says why not', async () => {
    const fake = createFakeApi()
    renderConsole(fake, '#/report/today')
    await screen.findByRole('region', { name: 'Grand totals' })
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Copy to clipboard' }))
    expect(await screen.findByText('Copied.')).toBeTruthy()
    expect(fake.callsOf('reports.export')).toEqual([{ date: localDay(0), top: 20, format: 'text' }])
    const copied = await navigator.clipboard.readText()
    expect(copied).toContain('Grand Totals')
    expect(copied).toContain('11020  delivered')

    vi.spyOn(navigator.clipboard, 'writeText').mockRejectedValue(new DOMException('Document is not focused.', 'NotAllowedError'))
    await user.click(screen.getByRole('button', { name: 'Copy to clipboard' }))
    await waitFor(() => expect(document.querySelector('.report-note')!.textContent).toBe('Not copied: Document is not focused.'))
    expect(screen.queryByText('Copied.')).toBeNull()
  })
})
