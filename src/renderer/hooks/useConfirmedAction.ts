import { useState } from 'react'
import type { ApiError, Result } from '../../shared/api.ts'

/** An operation on the whole queue: asked first, then run once, with its outcome in words. */
export function useConfirmedAction<T, D = string>(call: () => Promise<Result<T>>, describe: (data: T) => D) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<D | null>(null)
  const [actionError, setActionError] = useState<ApiError | null>(null)
  async function run() {
    setBusy(true)
    setActionError(null)
    const result = await call()
    setBusy(false)
    setAsking(false)
    if (result.ok) setDone(describe(result.data))
    else setActionError(result.error)
  }
  return { asking, setAsking, busy, done, actionError, run }
}
