import { useEffect, useState } from 'react'
import type { ApiError } from '../../../shared/api.ts'
import { LOCAL_SYSTEM } from '../../../shared/wire.ts'
import type { SystemSummary } from '../../../shared/systems.ts'
import { QUEUE_STATES } from '../../../shared/types.ts'
import { currentSystem } from '../../api/index.ts'
import { formatCount, formatTime } from '../../format.ts'
import { useStores } from '../../stores/index.ts'
import { ErrorNotice } from '../Notices.tsx'

// The dashboard's All systems table, once there is more than this computer:
// each system's queue by state, its last delivery and what needs the admin,
// asked of every system at once (one that cannot be reached says so in its row).

const REFRESH_MS = 15_000

const HEALTH_WORDS: Record<SystemSummary['health'], string> = {
  delivering: 'Delivering',
  failing: 'Not delivering',
  idle: 'Nothing sent yet',
  paused: 'Paused',
  unreachable: 'Cannot be reached',
}

export function SystemsSummary() {
  const { api } = useStores()
  const [rows, setRows] = useState<SystemSummary[] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const current = currentSystem() ?? LOCAL_SYSTEM

  useEffect(() => {
    let live = true
    const load = () =>
      void api['systems.summary']().then((r) => {
        if (!live) return
        if (r.ok) {
          setRows(r.data.systems)
          setError(null)
        } else setError(r.error)
      })
    load()
    const timer = setInterval(load, REFRESH_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [api])

  // With this computer alone there is nothing to sum up; a failure is said once there is a table to keep.
  if (!rows || rows.length < 2) return null
  return (
    <section className="panel systems-summary" aria-labelledby="systems-summary-title">
      <h2 id="systems-summary-title">All systems</h2>
      <ErrorNotice error={error} title="The systems could not be asked again." />
      <div className="table-scroll">
        <table className="grid">
          <colgroup>
            <col className="w-system" />
            {QUEUE_STATES.map((s) => (
              <col key={s} className="w-count" />
            ))}
            <col className="w-time" />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">System</th>
              {QUEUE_STATES.map((s) => (
                <th key={s} scope="col" className="num">
                  {s[0]!.toUpperCase() + s.slice(1)}
                </th>
              ))}
              <th scope="col">Last delivery</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.system.id} aria-current={r.system.id === current ? 'true' : undefined}>
                <th scope="row">
                  <a href={`?${r.system.id === LOCAL_SYSTEM ? '' : `system=${encodeURIComponent(r.system.id)}`}#/`}>{r.system.name}</a>
                  {r.system.kind === 'postfix' && <span className="muted"> Postfix, {r.system.where}</span>}
                </th>
                {QUEUE_STATES.map((s) => (
                  <td key={s} className="num">
                    {r.counts ? formatCount(r.counts[s]) : '—'}
                  </td>
                ))}
                <td>{r.lastDeliveryAt === null ? '—' : formatTime(r.lastDeliveryAt)}</td>
                <td className={r.health === 'failing' || r.health === 'unreachable' ? 'bad' : undefined}>
                  {HEALTH_WORDS[r.health]}
                  {r.problem && <span className="muted"> — {r.problem}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
