import type { HourTraffic } from '../../../shared/report.ts'
import { formatCount } from '../../format.ts'
import { DataTable, type Column } from '../DataTable.tsx'

// Per-hour traffic, as a table and as grouped bars in plain SVG: one group per
// local clock hour the report gives (23 or 25 on a daylight-saving day), four bars each.

export const SERIES = [
  { key: 'received', label: 'Received' },
  { key: 'delivered', label: 'Delivered' },
  { key: 'deferred', label: 'Deferred' },
  { key: 'bounced', label: 'Bounced' },
] as const

const pad = (n: number) => String(n).padStart(2, '0')

function offsetText(minutes: number): string {
  const abs = Math.abs(minutes)
  return `UTC${minutes < 0 ? '−' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** "09:00–10:00"; on a daylight-saving day with the UTC offset, which tells a repeated hour's two copies apart. */
export function hourRange(h: HourTraffic, dst: boolean): string {
  const range = `${pad(h.hour)}:00–${pad((h.hour + 1) % 24)}:00`
  return dst ? `${range} ${offsetText(h.utcOffsetMin)}` : range
}

const WIDTH = 720
const HEIGHT = 290
const LEFT = 40
const RIGHT = 6
const TOP = 8
const BOTTOM = 20

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ) at or above `max`: the top grid line's label. */
export function niceMax(max: number): number {
  if (max <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8]) if (step * power >= max) return Math.round(step * power)
  return 10 * power
}

export function TrafficChart({ hours }: { hours: HourTraffic[] }) {
  const peak = Math.max(0, ...hours.flatMap((h) => SERIES.map((s) => h[s.key])))
  const top = niceMax(peak)
  const plotW = WIDTH - LEFT - RIGHT
  const plotH = HEIGHT - TOP - BOTTOM
  const slot = plotW / Math.max(1, hours.length)
  const barW = (slot * 0.78) / SERIES.length
  const y = (v: number) => TOP + plotH - (v / top) * plotH
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top).filter((t) => Number.isInteger(t))
  const dst = hours.length !== 24
  const labelEvery = slot >= 18 ? 1 : 2

  return (
    <figure className="traffic-chart">
      <svg role="img" aria-label="Per-hour traffic chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="xMinYMin meet">
        <g className="chart-grid">
          {ticks.map((t) => (
            <g key={t}>
              <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(t)} y2={y(t)} className={t === 0 ? 'chart-axis' : undefined} />
              <text x={LEFT - 5} y={y(t)} dy="0.32em" textAnchor="end">
                {formatCount(t)}
              </text>
            </g>
          ))}
        </g>
        {hours.map((h, i) => {
          const x0 = LEFT + i * slot + slot * 0.11
          const label = hourRange(h, dst)
          return (
            <g key={h.start} className="hour-bars" data-hour={label}>
              {SERIES.map((s, j) => {
                const v = h[s.key]
                return (
                  <rect key={s.key} className={`bar bar-${s.key}`} x={x0 + j * barW} y={y(v)} width={Math.max(1, barW - 0.6)} height={TOP + plotH - y(v)}>
                    <title>{`${label}: ${formatCount(v)} ${s.key}`}</title>
                  </rect>
                )
              })}
              {i % labelEvery === 0 && (
                <text className="chart-hour" x={LEFT + i * slot + slot / 2} y={HEIGHT - 6} textAnchor="middle">
                  {String(h.hour).padStart(2, '0')}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <figcaption>
        <ul className="chart-legend" aria-label="Legend">
          {SERIES.map((s) => (
            <li key={s.key}>
              <span className={`swatch bar-${s.key}`} aria-hidden="true" />
              {s.label}
            </li>
          ))}
          <li className="muted">per local hour{dst ? `; a daylight-saving day of ${hours.length} hours` : ''}</li>
        </ul>
      </figcaption>
    </figure>
  )
}

export function HourTable({ hours }: { hours: HourTraffic[] }) {
  const dst = hours.length !== 24
  const columns: Column<HourTraffic>[] = [
    { key: 'hour', header: 'Hour', rowHeader: true, cellClass: dst ? 'time wrap' : 'time', cell: (h) => hourRange(h, dst) },
    ...SERIES.map(
      (s): Column<HourTraffic> => ({
        key: s.key,
        header: s.label,
        num: true,
        cellClass: (h) => (h[s.key] > 0 ? `tone-${s.key}` : undefined),
        cell: (h) => formatCount(h[s.key]),
      }),
    ),
  ]
  return (
    <DataTable
      className="grid small report-hours"
      caption="Per-hour traffic"
      columns={columns}
      rows={hours}
      rowKey={(h) => h.start}
      rowClass={(h) => (SERIES.every((s) => h[s.key] === 0) ? 'quiet' : undefined)}
    />
  )
}
