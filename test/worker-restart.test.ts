import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization } from '../src/seed/seed.js'
import { dialect } from './support/app.js'
import { databaseUrl, startCluster, type Cluster } from './support/pg-cluster.js'
import { kill, startNode, waitFor, type Child } from './support/processes.js'

// The standalone worker is a daemon: a database that goes away and comes back is weathered, not a reason to
// exit (a supervisor would not restart a worker that "succeeded"). A PostgreSQL cluster of this test's own is
// stopped and started again under it.

describe.runIf(dialect === 'postgres')('a standalone worker whose database restarts', () => {
  let cluster: Cluster
  let url: string
  let worker: Child | undefined
  beforeAll(async () => {
    cluster = await startCluster()
    const admin = new pg.Client({ connectionString: cluster.url })
    await admin.connect()
    await admin.query('create database restarts')
    await admin.end()
    url = databaseUrl(cluster.url, 'restarts')
  }, 120_000)
  afterAll(async () => {
    if (worker) await kill(worker, 'SIGKILL')
    await cluster.stop()
  })

  /** Opens the database, does `work`, closes it: no connection of the test outlives a restart. */
  async function using<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
    const database = openDatabase(url, { poolSize: 2 })
    try {
      return await work(database)
    } finally {
      await database.close()
    }
  }

  it(
    'keeps running while PostgreSQL is down and purges what is deleted after it is back',
    { timeout: 240_000 },
    async () => {
      await using(({ db }) => migrateToLatest(db))
      worker = startNode('src/cli.ts', ['worker'], {
        DATABASE_URL: url,
        PURGE_POLL_MS: '200',
        LOG_LEVEL: 'info',
      })
      const running = worker
      await waitFor(() => running.output().includes('purge worker started'), 90_000, running.output)

      await cluster.restart(3_000)
      expect(running.process.exitCode, running.output()).toBeNull()
      expect(running.output()).toMatch(/purge worker step failed; will retry|database connection lost/)

      const deletionId = await using(async ({ db }) => {
        const seeded = await seedOrganization(db, {
          owner: `restart-${Date.now()}@example.test`,
          devices: 500,
        })
        const auth = { userId: seeded.ownerId, email: '', name: '', tokenId: '', organizationId: null }
        return (
          await requestDeletion(db, auth, seeded.organizationId, { graceSeconds: 0, quarantineSeconds: 0 })
        ).deletionId
      })
      await waitFor(
        () =>
          using(async ({ db }) => {
            const row = await db
              .selectFrom('deletions')
              .select('status')
              .where('id', '=', deletionId)
              .executeTakeFirst()
            return row?.status === 'completed'
          }),
        90_000,
        running.output,
      )
      expect(running.process.exitCode).toBeNull()
      await kill(running, 'SIGTERM')
      expect(running.process.exitCode).toBe(0)
      worker = undefined
    },
  )
})
