import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ConsoleApi } from '../../shared/api.ts'
import type { DeliveryProgress, Transcript } from '../../shared/types.ts'

// Live progress of test messages. Progress can arrive before mail.sendTest
// answers with the queue id, so recent progress of every message is kept, bounded.

const KEEP_MESSAGES = 100
const KEEP_STAGES = 50

export interface TestSend {
  to: string
  queueId: string
  startedAt: number
}

export interface DeliveryState {
  current: TestSend | null
  sending: boolean
  sendError: ApiError | null
  progress: Record<string, DeliveryProgress[]>
  transcript: Transcript | null
  transcriptMissing: boolean
  transcriptLoading: boolean
  transcriptError: ApiError | null
  send(to: string): Promise<boolean>
  loadTranscript(): Promise<void>
}

export type DeliveryStore = StoreApi<DeliveryState> & { receive(progress: DeliveryProgress): void }

export function createDeliveryStore(api: ConsoleApi, now: () => number = Date.now): DeliveryStore {
  const store = createStore<DeliveryState>()((set, get) => ({
    current: null,
    sending: false,
    sendError: null,
    progress: {},
    transcript: null,
    transcriptMissing: false,
    transcriptLoading: false,
    transcriptError: null,
    send: async (to) => {
      set({ sending: true, sendError: null, current: null, transcript: null, transcriptMissing: false, transcriptError: null })
      const result = await api['mail.sendTest']({ to })
      if (!result.ok) {
        set({ sending: false, sendError: result.error })
        return false
      }
      set({ sending: false, current: { to, queueId: result.data.queueId, startedAt: now() } })
      return true
    },
    loadTranscript: async () => {
      const current = get().current
      if (!current) return
      set({ transcriptLoading: true, transcriptError: null })
      const result = await api['mail.transcript']({ queueId: current.queueId })
      if (get().current?.queueId !== current.queueId) return
      if (result.ok) set({ transcript: result.data, transcriptMissing: result.data === null, transcriptLoading: false })
      else set({ transcriptError: result.error, transcriptLoading: false })
    },
  }))

  function receive(progress: DeliveryProgress): void {
    const all = store.getState().progress
    const stages = [...(all[progress.queueId] ?? []), progress].slice(-KEEP_STAGES)
    const next: Record<string, DeliveryProgress[]> = { ...all, [progress.queueId]: stages }
    const ids = Object.keys(next)
    // Insertion order is arrival order: drop the oldest messages, never the one on screen.
    const current = store.getState().current?.queueId
    for (const id of ids.slice(0, Math.max(0, ids.length - KEEP_MESSAGES))) if (id !== current) delete next[id]
    store.setState({ progress: next })
  }

  return Object.assign(store, { receive })
}
