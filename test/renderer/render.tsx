import { cleanup, configure, render } from '@testing-library/react'
import { afterEach } from 'vitest'
import { App } from '../../src/renderer/App.tsx'
import { createStores, type Stores } from '../../src/renderer/stores/index.ts'
import type { ConsoleApi } from '../../src/shared/api.ts'

// Renders the whole console over a fake API, on the page the hash names.

// The suite shares two cores with integration tests that run real servers.
configure({ asyncUtilTimeout: 4000 })

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

export function renderConsole(fake: { api: ConsoleApi }, hash = '#/'): { stores: Stores } {
  window.location.hash = hash
  const stores = createStores(fake.api, { refreshMs: 20 })
  render(<App stores={stores} />)
  return { stores }
}
