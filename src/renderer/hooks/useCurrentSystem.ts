import { useEffect, useState } from 'react'
import { LOCAL_SYSTEM } from '../../shared/wire.ts'
import type { SystemInfo } from '../../shared/systems.ts'
import { currentSystem } from '../api/index.ts'
import { useStores } from '../stores/index.ts'

// The system this window shows, as systems.list describes it: a page that
// words itself for Postfix (Edit Settings' main.cf preview) asks here.

/** This computer's engine, when the list cannot say otherwise. */
const EMBEDDED: SystemInfo = { id: LOCAL_SYSTEM, name: 'This computer', kind: 'embedded', where: 'this computer' }

/** Undefined until systems.list answers; the embedded engine when it fails or does not name the system. */
export function useCurrentSystem(): SystemInfo | undefined {
  const { api } = useStores()
  const [system, setSystem] = useState<SystemInfo | undefined>(undefined)
  useEffect(() => {
    let live = true
    const id = currentSystem() ?? LOCAL_SYSTEM
    void api['systems.list']().then((r) => {
      if (!live) return
      setSystem((r.ok ? r.data.systems.find((s) => s.id === id) : undefined) ?? EMBEDDED)
    })
    return () => {
      live = false
    }
  }, [api])
  return system
}
