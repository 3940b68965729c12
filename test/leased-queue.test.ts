import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isoAt } from '../src/core/clock.js'
import { openDatabase, type DatabaseHandle, type Db } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { deliveries } from '../src/events/instance-queue.js'
import { removals } from '../src/storage/removals.js'
import { createTestDatabase, dialect, type TestDatabase } from './support/app.js'

// The one leased queue (src/jobs/queue.ts), on two tables whose columns differ as the queues' do: a row with its own
// due time and lease, attempts counted on failure (object removals), and a row whose due time is its lease's end,
// attempts counted at each claim (instance deliveries).

let testDb: TestDatabase
let database: DatabaseHandle
let db: Db
beforeAll(async () => {
  testDb = await createTestDatabase()
  database = openDatabase(testDb.url)
  db = database.db
  await migrateToLatest(db)
})
afterAll(async () => {
  await database?.close()
  await testDb?.drop()
})

const LEASE = 30_000

/** Time that moves only when the test moves it, so that every `isoAt(clock)` of one moment is the same text. */
class StoppedClock {
  private at = Date.parse('2030-01-01T00:00:00.000Z')
  now(): number {
    return this.at
  }
  advance(ms: number): void {
    this.at += ms
  }
}

let clock: StoppedClock
beforeEach(async () => {
  clock = new StoppedClock()
  await db.deleteFrom('object_removals').execute()
  await db.deleteFrom('instance_deliveries').execute()
})

async function addRemoval(id: string, dueInMs = 0) {
  await db
    .insertInto('object_removals')
    .values({
      organization_id: 'org',
      id,
      kind: 'object',
      object_key: `k/${id}`,
      deletion_id: null,
      available_at: isoAt(clock, dueInMs),
      lease_owner: null,
      lease_expires_at: null,
      error: null,
      created_at: isoAt(clock),
    })
    .execute()
}

async function addDeliveries(count: number) {
  const ids = Array.from({ length: count }, (_, i) => `d${String(i).padStart(3, '0')}`)
  await db
    .insertInto('instance_deliveries')
    .values(
      ids.map((id) => ({
        id,
        channel: 'webhook' as const,
        event_id: id,
        event_type: 'test',
        body: '{}',
        next_attempt_at: isoAt(clock),
        lease_owner: null,
        response_status: null,
        error: null,
        created_at: isoAt(clock),
      })),
    )
    .execute()
  return ids
}

const claimRemovals = (owner: string, limit = 1) =>
  removals.claim(db, { owner, now: isoAt(clock), leaseUntil: isoAt(clock, LEASE), limit }, (from) =>
    from.selectAll(),
  )

const claimDeliveries = (owner: string, limit = 1) =>
  deliveries.claim(db, { owner, now: isoAt(clock), leaseUntil: isoAt(clock, LEASE), limit }, (from) =>
    from.select(['id', 'attempt']),
  )

const removalRow = (id: string) =>
  db.selectFrom('object_removals').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('leased queue', () => {
  it('claims only rows that are due, in order, up to the limit, and marks them leased', async () => {
    await addRemoval('later', 60_000)
    await addRemoval('b')
    await addRemoval('a')
    await addRemoval('c')
    const claimed = await claimRemovals('one', 2)
    expect(claimed.map((r) => r.id).sort()).toEqual(['a', 'b'])
    expect(claimed.every((r) => r.lease_owner === 'one' && r.lease_expires_at === isoAt(clock, LEASE)))
    expect(await removalRow('a')).toMatchObject({ lease_owner: 'one' })
    expect((await claimRemovals('two', 5)).map((r) => r.id)).toEqual(['c'])
    expect(await claimRemovals('two', 5)).toEqual([])
    clock.advance(60_000)
    // 'later' is due now, and so are the others again: their leases (30 s) ran out.
    expect((await claimRemovals('two', 5)).map((r) => r.id).sort()).toEqual(['a', 'b', 'c', 'later'])
  })

  it('a lease that ran out lets another owner claim the row; the first then renews, releases or finishes nothing', async () => {
    await addRemoval('r')
    const [first] = await claimRemovals('first')
    if (!first) throw new Error('nothing claimed')
    clock.advance(LEASE - 1_000)
    expect(await claimRemovals('second')).toEqual([])
    expect(await removals.renew(db, first, 'first', isoAt(clock, LEASE))).toBe(true)
    clock.advance(LEASE - 1_000)
    expect(await claimRemovals('second')).toEqual([]) // renewed: still first's
    clock.advance(2_000)
    const [second] = await claimRemovals('second')
    expect(second?.id).toBe('r')
    expect(await removals.renew(db, first, 'first', isoAt(clock, LEASE))).toBe(false)
    expect(await removals.release(db, first, 'first', isoAt(clock), { failure: 'late' })).toBe(false)
    expect(await removals.finish(db, first, 'first')).toBe(false)
    expect(await removalRow('r')).toMatchObject({ lease_owner: 'second', attempts: 0, error: null })
    expect(await removals.finish(db, first, 'second')).toBe(true)
    expect(await db.selectFrom('object_removals').select('id').execute()).toEqual([])
  })

  it('release gives the row back at its retry time, counting a failed attempt', async () => {
    await addRemoval('r')
    const [claimed] = await claimRemovals('w')
    if (!claimed) throw new Error('nothing claimed')
    expect(await removals.release(db, claimed, 'w', isoAt(clock, 10_000), { failure: 'boom' })).toBe(true)
    expect(await removalRow('r')).toMatchObject({
      lease_owner: null,
      lease_expires_at: null,
      available_at: isoAt(clock, 10_000),
      attempts: 1,
      error: 'boom',
    })
    expect(await claimRemovals('w')).toEqual([])
    clock.advance(10_000)
    const [again] = await claimRemovals('w')
    expect(again?.id).toBe('r')
    // Given back without a failure (the worker stopping): no attempt counted.
    if (!again) throw new Error('nothing claimed')
    expect(await removals.release(db, again, 'w', isoAt(clock))).toBe(true)
    expect(await removalRow('r')).toMatchObject({ attempts: 1, lease_owner: null })
  })

  it('attempts counted at each claim name the claim: a stale claim acts on nothing', async () => {
    await addDeliveries(1)
    const [first] = await claimDeliveries('w')
    expect(first?.attempt).toBe(1)
    if (!first) throw new Error('nothing claimed')
    clock.advance(LEASE + 1)
    // The same owner (a restarted process with the same name) claims it again after its lease ran out.
    const [second] = await claimDeliveries('w')
    expect(second?.attempt).toBe(2)
    expect(await deliveries.release(db, first, 'w', isoAt(clock, 5_000), { failure: 'x' })).toBe(false)
    if (!second) throw new Error('nothing claimed')
    expect(await deliveries.release(db, second, 'w', isoAt(clock, 5_000), { failure: 'x' })).toBe(true)
    const row = await db.selectFrom('instance_deliveries').selectAll().executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      attempt: 2,
      error: 'x',
      lease_owner: null,
      next_attempt_at: isoAt(clock, 5_000),
    })
    clock.advance(5_000)
    const [third] = await claimDeliveries('w')
    if (!third) throw new Error('nothing claimed')
    expect(third.attempt).toBe(3)
    expect(await deliveries.finish(db, first, 'w')).toBe(false)
    expect(await deliveries.finish(db, third, 'w')).toBe(true)
    expect(await db.selectFrom('instance_deliveries').selectAll().execute()).toEqual([])
  })

  it('two claimers at once never get the same row, and both get rows (25 trials)', async () => {
    const TRIALS = 25
    for (let trial = 0; trial < TRIALS; trial++) {
      await db.deleteFrom('instance_deliveries').execute()
      const ids = await addDeliveries(6)
      const [a, b] = await Promise.all([claimDeliveries('a', 3), claimDeliveries('b', 3)])
      const taken = [...(a ?? []), ...(b ?? [])].map((d) => d.id)
      expect(new Set(taken).size).toBe(taken.length)
      expect(taken.sort()).toEqual(ids)
      expect(a?.length).toBe(3)
      expect(b?.length).toBe(3)
      const owners = await db.selectFrom('instance_deliveries').select(['id', 'lease_owner']).execute()
      for (const row of owners) expect(row.lease_owner).toBe(a?.some((d) => d.id === row.id) ? 'a' : 'b')
    }
  })

  it.runIf(dialect === 'postgres')(
    'rows another transaction holds are skipped, without waiting for it',
    async () => {
      const ids = await addDeliveries(3)
      const claimed = await db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('instance_deliveries')
          .select('id')
          .where('id', '=', ids[0] ?? '')
          .forUpdate()
          .execute()
        return claimDeliveries('other', 3)
      })
      expect(claimed.map((d) => d.id).sort()).toEqual(ids.slice(1))
    },
  )
})
