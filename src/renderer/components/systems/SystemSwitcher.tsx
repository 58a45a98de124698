import { useEffect, useState } from 'react'
import { createPortal } from 'react-dom'
import type { ApiError } from '../../../shared/api.ts'
import { LOCAL_SYSTEM } from '../../../shared/wire.ts'
import { href, useRoute } from '../../routes.ts'
import type { SystemInfo } from '../../../shared/systems.ts'
import { currentSystem, showSystem } from '../../api/index.ts'
import { useStores } from '../../stores/index.ts'
import { AddSystemDialog } from './AddSystemDialog.tsx'

// The sidebar's System picker: this computer's engine and every Postfix
// server added. Picking one opens it in this window on the same page; every
// page then reads that system.

export function SystemSwitcher() {
  const { api } = useStores()
  const [systems, setSystems] = useState<SystemInfo[] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [adding, setAdding] = useState(false)
  const current = currentSystem() ?? LOCAL_SYSTEM
  const route = useRoute()

  // The desktop app's File → Add a Postfix Server… opens the dialog through the address; the address then
  // forgets it, so Back or a reload does not open it again.
  useEffect(() => {
    if (route.params.get('add-system') === null) return
    setAdding(true)
    window.history.replaceState(window.history.state, '', href(route.path))
  }, [route])

  useEffect(() => {
    let live = true
    void api['systems.list']().then((r) => {
      if (!live) return
      if (r.ok) setSystems(r.data.systems)
      else setError(r.error)
    })
    return () => {
      live = false
    }
  }, [api])

  const shown = systems ?? []
  const unknown = systems !== null && !shown.some((s) => s.id === current)
  return (
    <div className="systems">
      <label htmlFor="system-picker">System</label>
      <select id="system-picker" value={current} disabled={systems === null} onChange={(e) => showSystem(e.target.value === LOCAL_SYSTEM ? undefined : e.target.value)}>
        {systems === null && <option value={current}>{current === LOCAL_SYSTEM ? 'This computer' : current}</option>}
        {unknown && <option value={current}>{current} (not in the list)</option>}
        {shown.map((s) => (
          <option key={s.id} value={s.id}>
            {s.kind === 'embedded' ? s.name : `${s.name} — Postfix, ${s.where}`}
          </option>
        ))}
      </select>
      {error && (
        <p className="systems-error">
          {error.message}
        </p>
      )}
      <button type="button" className="systems-add" onClick={() => setAdding(true)}>
        Add a Postfix server…
      </button>
      {/* In the page's body, not the sidebar: the dialog takes the page's colours, not the sidebar's light ink. */}
      {adding &&
        createPortal(
        <AddSystemDialog
          onClose={() => setAdding(false)}
          onAdded={(system) => {
            setAdding(false)
            showSystem(system.id)
          }}
        />,
          document.body,
        )}
    </div>
  )
}
