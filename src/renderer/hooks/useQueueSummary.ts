import { useEffect } from 'react'
import { useSlice, useStores } from '../stores/index.ts'

/** The queue's counts by state and top domains, loaded on mount and kept current while shown. */
export function useQueueSummary() {
  const { queueSummary } = useStores()
  const state = useSlice(queueSummary, (s) => s)
  useEffect(() => {
    const off = queueSummary.getState().watch()
    void queueSummary.getState().load()
    return off
  }, [queueSummary])
  return state
}
