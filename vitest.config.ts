import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Generous: end-to-end tests run the real CLI against a real server on 2 shared cores.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
})
