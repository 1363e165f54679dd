import { defineConfig } from 'vitest/config'

/**
 * Two projects: `unit`, the tests that need no server (a fast inner loop: `npm run test:unit`), and
 * `pg`, the `*.pg.test.ts` files, run against the throwaway PostgreSQL cluster that the global setup
 * starts. `npm test` runs both.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Generous: end-to-end tests run the real CLI against a real server on 2 shared cores.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.pg.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'pg',
          include: ['test/**/*.pg.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
})
