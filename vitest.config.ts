import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['test/e2e/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers on loopback; keep them from starving each other on 2 cores.
    maxWorkers: 2,
  },
})
