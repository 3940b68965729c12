import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqlitePath } from '../src/db/connect.js'
import { waitingWriters, writerWaiting } from '../src/db/write-waits.js'
import { seedOrganization } from '../src/seed/seed.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { as, createUser } from './support/factories.js'
import { waitFor } from './support/processes.js'
import { rowsOf, testWorker } from './support/purge.js'

// A purge transaction holds SQLite's one write lock. Where the purge can see the server's writers wait (its thread,
// db/write-waits.ts), it goes on batch after batch while none waits, and commits after the batch in hand when one
// starts waiting.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const DEVICES = 3_000

/** Deletes a fresh organization of DEVICES devices; the devices' transactions, as the purge reported them. */
async function purgeDevices(writerWaitingNow: () => boolean): Promise<number[]> {
  const owner = await createUser(t, 'owner')
  const seeded = await seedOrganization(t.db, { owner: owner.email, devices: DEVICES, audit: 0 })
  expect((await as(t, owner).delete(`/v1/organizations/${seeded.organizationId}`)).status).toBe(200)
  const transactions: number[] = []
  await testWorker(t.db, {
    batchTargetMs: 50,
    writerWaiting: writerWaitingNow,
    onBatch: (table, rows) => void (table === 'devices' && transactions.push(rows)),
  }).drain()
  // Every tenant row gone; the receipt (deletions) stays.
  const { deletions, ...left } = await rowsOf(t.db, seeded.organizationId)
  expect(deletions).toBe(1)
  expect(Object.entries(left).filter(([, n]) => n > 0)).toEqual([])
  return transactions
}

describe('a purge transaction', () => {
  it('takes batch after batch: on PostgreSQL for its time, on SQLite while no writer waits', async () => {
    const quiet = await purgeDevices(() => false)
    expect(quiet.reduce((a, b) => a + b, 0)).toBe(DEVICES)
    // Batches start at 500 rows: one transaction per batch would take at least three.
    expect(quiet.length).toBeLessThanOrEqual(2)
  })

  it.runIf(dialect === 'sqlite')('commits after each batch while a writer waits (SQLite)', async () => {
    const busy = await purgeDevices(() => true)
    expect(busy.reduce((a, b) => a + b, 0)).toBe(DEVICES)
    // Batches start at 500 rows and at most double: a writer always waiting sees a commit after each of them.
    expect(busy.length).toBeGreaterThanOrEqual(3)
  })
})

describe.runIf(dialect === 'sqlite')('a writer of the server', () => {
  it('is counted as waiting while another connection holds the write lock, and no more once it has written', async () => {
    const owner = await createUser(t, 'owner')
    const org = (await as(t, owner).post('/v1/organizations', { name: 'Waits' })).body.data
    const blocker = new SQLite(sqlitePath(t.url))
    try {
      blocker.exec('begin immediate')
      const write = as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Blocked' })
      await waitFor(() => writerWaiting(waitingWriters), 4_000)
      blocker.exec('commit')
      expect((await write).status).toBe(200)
      expect(writerWaiting(waitingWriters)).toBe(false)
    } finally {
      blocker.close()
    }
  })
})
