import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BatchEndsAhead, deleteKeyBatch, type KeyCursor } from '../src/db/key-batches.js'
import { seedOrganization, type SeedResult } from '../src/seed/seed.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'

// A purge task deletes an organization's rows in batches along the primary key. On PostgreSQL the end of the next
// batch is looked up on another connection while the current one is deleted (db/key-batches.ts); the batches must
// still cover the organization's rows exactly once, whatever sizes the caller asks for from one batch to the next.

const DEVICES = 3_000

let t: TestApp
let doomed: SeedResult
let kept: SeedResult

beforeAll(async () => {
  t = await buildTestApp()
  kept = await seedOrganization(t.db, { owner: 'kept@example.test', devices: 300 })
  doomed = await seedOrganization(t.db, { owner: 'doomed@example.test', devices: DEVICES })
}, 60_000)
afterAll(async () => t.close())

async function devicesOf(organizationId: string, upTo?: KeyCursor): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from devices where organization_id = ${organizationId}
    ${upTo === undefined || upTo === null ? sql`` : sql`and id <= ${upTo}`}`.execute(t.db)
  return Number(rows[0]?.n)
}

describe('deleting an organization in key batches', () => {
  it('looks the next batch up ahead only where readers run beside a writer', () => {
    expect(BatchEndsAhead.open(t.db, 'devices', doomed.organizationId) !== undefined).toBe(
      dialect === 'postgres',
    )
  })

  it.skipIf(dialect !== 'postgres')(
    'the end looked up ahead is the key the transaction would have found',
    async () => {
      const ahead = BatchEndsAhead.open(t.db, 'devices', kept.organizationId)
      if (!ahead) throw new Error('no lookup ahead on PostgreSQL')
      const { rows } = await sql<{ id: string }>`
      select id from devices where organization_id = ${kept.organizationId} order by id`.execute(t.db)
      const after = rows[9]?.id ?? null
      ahead.lookUp(after, 100)
      expect(await ahead.take(after)).toBe(rows[109]?.id)
      // Taken once; a lookup for another start is not used.
      expect(await ahead.take(after)).toBeUndefined()
      ahead.lookUp(after, 100)
      expect(await ahead.take(rows[10]?.id ?? null)).toBeUndefined()
    },
  )

  it('covers every row of the organization once and none of another, whatever sizes are asked for', async () => {
    const ahead = BatchEndsAhead.open(t.db, 'devices', doomed.organizationId)
    const limits = [400, 400, 900, 250, 250, 1200, 50]
    let after: KeyCursor = null
    let total = 0
    let batches = 0
    for (;;) {
      const limit = limits[batches % limits.length] ?? 100
      const before = await devicesOf(doomed.organizationId)
      const batch = await t.db
        .transaction()
        .execute((trx) => deleteKeyBatch(trx, 'devices', doomed.organizationId, limit, after, ahead))
      batches++
      expect(before - (await devicesOf(doomed.organizationId))).toBe(batch.deleted)
      // Nothing is left at or below the batch's last key: the batches are one contiguous walk.
      if (batch.last !== null) expect(await devicesOf(doomed.organizationId, batch.last)).toBe(0)
      total += batch.deleted
      if (batch.last === null) break
      expect(batch.deleted).toBeGreaterThan(0)
      after = batch.last
    }
    expect(total).toBe(DEVICES)
    expect(await devicesOf(doomed.organizationId)).toBe(0)
    expect(await devicesOf(kept.organizationId)).toBe(300)
    expect(batches).toBeGreaterThan(5)
  })
})
