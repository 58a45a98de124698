import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ApiError, ApiRequest, ConsoleApi, Result } from '../../shared/api.ts'
import type { SettingsView } from '../../shared/settings.ts'

// The saved settings. The form keeps its own draft; this holds what main says is saved.

export interface SettingsState {
  view: SettingsView | null
  error: ApiError | null
  load(): Promise<void>
  save(update: ApiRequest<'settings.update'>): Promise<Result<SettingsView>>
  /** A Postfix server's main.cf as it was before the last save (settings.undo). */
  undo(): Promise<Result<SettingsView>>
}

export type SettingsStore = StoreApi<SettingsState> & { notify(): void }

export function createSettingsStore(api: ConsoleApi): SettingsStore {
  let seq = 0
  const store = createStore<SettingsState>()((set) => ({
    view: null,
    error: null,
    load: async () => {
      const mine = ++seq
      const result = await api['settings.get']()
      if (mine !== seq) return
      if (result.ok) set({ view: result.data, error: null })
      else set({ error: result.error })
    },
    save: async (update) => {
      const result = await api['settings.update'](update)
      if (result.ok) {
        seq += 1
        set({ view: result.data, error: null })
      }
      return result
    },
    undo: async () => {
      const result = await api['settings.undo']()
      if (result.ok) {
        seq += 1
        set({ view: result.data, error: null })
      }
      return result
    },
  }))
  return Object.assign(store, {
    notify: () => {
      if (store.getState().view) void store.getState().load()
    },
  })
}
