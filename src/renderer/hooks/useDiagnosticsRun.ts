import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiError, ApiRequest } from '../../shared/api.ts'
import { CHECK_IDS, type Check, type CheckId } from '../../shared/diagnostics.ts'
import { useStores } from '../stores/index.ts'

// One run of the Troubleshooting checks at a time: each check shown as its
// diagnostics.progress event arrives (only this run's, by its run id), then
// the run's answer, which is complete, replaces them.

export interface DiagnosticsRunState {
  running: boolean
  /** The checks so far, in CHECK_IDS order. */
  checks: Check[]
  /** When the last run finished (ms since the epoch); null before the first. */
  finishedAt: number | null
  error: ApiError | null
}

export interface DiagnosticsRun extends DiagnosticsRunState {
  /** Starts a run (a running one is left to finish unseen); answers the API's error, if any. */
  run(request: Omit<ApiRequest<'diagnostics.run'>, 'runId'>): Promise<ApiError | null>
}

const ORDER = new Map<CheckId, number>(CHECK_IDS.map((id, i) => [id, i]))
let runs = 0

function ordered(checks: Iterable<Check>): Check[] {
  return [...checks].sort((a, b) => ORDER.get(a.id)! - ORDER.get(b.id)!)
}

export function useDiagnosticsRun(): DiagnosticsRun {
  const { api } = useStores()
  const [state, setState] = useState<DiagnosticsRunState>({ running: false, checks: [], finishedAt: null, error: null })
  const current = useRef<string | null>(null)

  useEffect(() => {
    const off = api.on('diagnostics.progress', ({ runId, check }) => {
      if (runId === null || runId !== current.current) return
      setState((s) => (s.checks.some((c) => c.id === check.id) ? s : { ...s, checks: ordered([...s.checks, check]) }))
    })
    return () => {
      off()
      current.current = null
    }
  }, [api])

  const run = useCallback(
    async (request: Omit<ApiRequest<'diagnostics.run'>, 'runId'>) => {
      // Unique in this window, and apart from another window's runs on the same engine.
      const runId = `ts-${Date.now().toString(36)}-${(++runs).toString(36)}-${Math.random().toString(36).slice(2, 8)}`
      current.current = runId
      setState({ running: true, checks: [], finishedAt: null, error: null })
      const result = await api['diagnostics.run']({ ...request, runId })
      if (current.current !== runId) return result.ok ? null : result.error
      if (result.ok) setState({ running: false, checks: ordered(result.data.checks), finishedAt: Date.now(), error: null })
      else setState((s) => ({ ...s, running: false, error: result.error }))
      return result.ok ? null : result.error
    },
    [api],
  )

  return { ...state, run }
}
