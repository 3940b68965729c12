import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization } from '../src/seed/seed.js'
import { createToken } from '../src/tokens/service.js'
import { createTestDatabase, dialect, type TestDatabase } from './support/app.js'
import { kill, startNode, startServer, waitFor } from './support/processes.js'
import { rowsOf } from './support/purge.js'

// Real processes, killed for real: the purge must finish after a crash at an arbitrary point, with exact counts.

const DEVICES = 60_000
const AUDIT = 10_000

let testDb: TestDatabase
let database: DatabaseHandle
beforeAll(async () => {
  testDb = await createTestDatabase()
  database = openDatabase(testDb.url)
  await migrateToLatest(database.db)
})
afterAll(async () => {
  await database.close()
  await testDb.drop()
})

async function deletedSoFar(deletionId: string): Promise<number> {
  const row = await database.db
    .selectFrom('purge_tasks')
    .select((eb) => eb.fn.sum<number>('deleted').as('n'))
    .where('deletion_id', '=', deletionId)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

async function receipt(deletionId: string) {
  return database.db
    .selectFrom('deletions')
    .selectAll()
    .where('id', '=', deletionId)
    .executeTakeFirstOrThrow()
}

/**
 * Waits for the receipt to say completed. What fails is a purge that stops moving, not a slow one: on a loaded
 * machine small batches take longer, so the deadline is `stallMs` without a deleted row, not a total.
 */
async function waitForCompletion(deletionId: string, output: () => string, stallMs = 30_000) {
  let seen = -1
  let movedAt = Date.now()
  for (;;) {
    if ((await receipt(deletionId)).status === 'completed') return
    const deleted = await deletedSoFar(deletionId)
    if (deleted !== seen) [seen, movedAt] = [deleted, Date.now()]
    else if (Date.now() - movedAt > stallMs)
      throw new Error(`the purge made no progress for ${stallMs} ms at ${deleted} rows:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function expectPurged(rows: Record<string, number>) {
  for (const [table, n] of Object.entries(rows)) expect(n, table).toBe(table === 'deletions' ? 1 : 0)
}

describe('a purge interrupted by SIGKILL', () => {
  it('finishes after the server restarts, with exact counts', async () => {
    const seeded = await seedOrganization(database.db, {
      owner: `crash-${Date.now()}@example.test`,
      devices: DEVICES,
      audit: AUDIT,
    })
    const { token } = await createToken(database.db, seeded.ownerId, { name: 'crash' })
    // A short lease: the restarted server may take over the killed one's tables after a second.
    const env = {
      DATABASE_URL: testDb.url,
      PURGE_BATCH_TARGET_MS: '2',
      PURGE_POLL_MS: '100',
      PURGE_LEASE_MS: '1000',
    }

    const first = await startServer(env)
    const answer = await fetch(`${first.url}/v1/organizations/${seeded.organizationId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(answer.status).toBe(200)
    const { deletionId } = ((await answer.json()) as { data: { deletionId: string } }).data
    await waitFor(async () => (await deletedSoFar(deletionId)) >= 2_000, 30_000, first.output)
    await kill(first, 'SIGKILL')

    // Killed in the middle: part deleted, part left, not completed.
    const midway = await deletedSoFar(deletionId)
    expect(midway).toBeGreaterThan(0)
    expect((await rowsOf(database.db, seeded.organizationId)).devices).toBeGreaterThan(0)
    expect((await receipt(deletionId)).status).toBe('purging')

    const second = await startServer({ ...env, PURGE_BATCH_TARGET_MS: '10' })
    try {
      await waitForCompletion(deletionId, second.output)
      const done = await fetch(`${second.url}/v1/deletions/${deletionId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      const body = (await done.json()) as { data: { status: string; counts: Record<string, number> } }
      expect(body.data.status).toBe('completed')
      expect(body.data.counts.devices).toBe(DEVICES)
      expect(body.data.counts.auditEvents).toBe(AUDIT + 1) // + the organization's own creation event
      expectPurged(await rowsOf(database.db, seeded.organizationId))
    } finally {
      await kill(second, 'SIGTERM')
    }
  }, 400_000)
})

describe.runIf(dialect === 'postgres')('two worker processes on one PostgreSQL database', () => {
  it('the survivor finishes what a killed one held, with exact counts', async () => {
    const seeded = await seedOrganization(database.db, {
      owner: `pair-${Date.now()}@example.test`,
      devices: DEVICES,
      audit: AUDIT,
    })
    const env = {
      DATABASE_URL: testDb.url,
      PURGE_BATCH_TARGET_MS: '2',
      PURGE_POLL_MS: '50',
      PURGE_LEASE_MS: '1000',
      LOG_LEVEL: 'info',
    }
    const workers = [startNode('src/cli.ts', ['worker'], env), startNode('src/cli.ts', ['worker'], env)]
    try {
      // Both are polling before the deletion exists: one that started late would otherwise find the purge done.
      await waitFor(
        () => workers.every((w) => w.output().includes('purge worker started')),
        90_000,
        () => workers.map((w) => w.output()).join('\n'),
      )
      const auth = { userId: seeded.ownerId, email: '', name: '', tokenId: '', organizationId: null }
      const { deletionId } = await requestDeletion(database.db, auth, seeded.organizationId, {
        graceSeconds: 0,
        quarantineSeconds: 0,
      })
      // A purge task held by one of them (its empty tables' tasks were closed when it was measured, so the
      // devices and the history are what is left to share); that worker is killed while it holds it.
      const owners = await waitFor(
        async () => {
          const leased = await database.db
            .selectFrom('purge_tasks')
            .select(['lease_owner', 'table_name'])
            .where('deletion_id', '=', deletionId)
            .where('lease_owner', 'is not', null)
            .where('table_name', 'in', ['devices', 'audit_events'])
            .execute()
          const distinct = new Map(leased.map((l) => [l.lease_owner, l.table_name]))
          return distinct.size >= 1 ? distinct : undefined
        },
        30_000,
        () => workers.map((w) => w.output()).join('\n'),
      )
      const [victimOwner] = [...owners.keys()]
      const victimPid = Number(String(victimOwner).split(':')[1])
      const victim = workers.find((w) => w.process.pid === victimPid)
      expect(victim).toBeDefined()
      if (victim) await kill(victim, 'SIGKILL')

      await waitForCompletion(deletionId, () => workers.map((w) => w.output()).join('\n'))
      const counts = JSON.parse((await receipt(deletionId)).counts) as Record<string, number>
      expect(counts.devices).toBe(DEVICES)
      expect(counts.auditEvents).toBe(AUDIT + 1)
      expectPurged(await rowsOf(database.db, seeded.organizationId))
    } finally {
      await Promise.all(workers.map((w) => kill(w, 'SIGTERM')))
    }
  }, 400_000)
})
