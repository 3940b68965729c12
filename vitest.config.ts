import { randomBytes } from 'node:crypto'
import { defineConfig } from 'vitest/config'
import { findPostgresBin } from './test/support/pg-cluster.js'

// One suite, two databases: every test file runs once on SQLite and once on PostgreSQL.
// PostgreSQL comes from TEST_DATABASE_URL or a throwaway cluster; without either the PostgreSQL half is
// skipped loudly — except in CI, where that is a failure.
const postgresAvailable = Boolean(process.env.TEST_DATABASE_URL) || findPostgresBin() !== null
if (!postgresAvailable) {
  const message =
    'PostgreSQL is not available (no TEST_DATABASE_URL, no server binaries): the PostgreSQL suite is SKIPPED'
  if (process.env.CI === 'true') throw new Error(`${message} — refusing to pass in CI`)
  console.warn(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`)
}

// One master key per run, shared by the test apps and the commands they start (every process of one deployment
// shares it); tests of the key file itself unset it.
const MASTER_KEY = randomBytes(32).toString('base64')

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one on a two-core machine. Most test files spend their
    // time waiting on child processes, servers and PostgreSQL rather than on the CPU, so two run side by side.
    maxWorkers: 2,
    projects: [
      {
        extends: true as const,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          env: { ORGSPACE_TEST_DIALECT: 'sqlite', MASTER_KEY },
          globalSetup: ['test/global-build.ts'],
        },
      },
      ...(postgresAvailable
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                // Browser tests check the dashboard, which does not depend on the database.
                exclude: ['test/**/*.unit.test.ts', 'test/**/*.e2e.test.ts'],
                env: { ORGSPACE_TEST_DIALECT: 'postgres', MASTER_KEY },
                globalSetup: ['test/global-build.ts', 'test/global-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
})
