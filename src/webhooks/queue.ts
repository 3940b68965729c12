import type { Db, Trx } from '../db/connect.js'
import { lockRows } from '../db/dialect.js'
import type { DeliveryStatus } from '../db/types.js'

// The queue of endpoints' deliveries (`webhook_deliveries`: tenant rows that stay as the endpoint's log) as the
// delivery worker works it; events/instance-queue.ts is its twin for the instance's own. Claiming a delivery
// counts the attempt and moves `next_attempt_at` to the end of a lease: if the process dies during the
// attempt, the delivery becomes due again then, with the same event id (at least once). On PostgreSQL, SKIP
// LOCKED lets several processes claim different deliveries at once.

export interface ClaimedEndpointDelivery {
  organization_id: string
  id: string
  endpoint_id: string
  event_id: string
  body: string
  attempt: number
  url: string
  secret: string
}

export async function claimEndpointDeliveries(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<ClaimedEndpointDelivery[]> {
  // Looked for first without a transaction: an idle worker's poll is then a read (on SQLite, on the reader
  // connection), not a write transaction that takes the database's one write lock.
  const any = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .limit(1)
    .executeTakeFirst()
  if (!any) return []
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', (join) =>
        join.onRef('e.organization_id', '=', 'd.organization_id').onRef('e.id', '=', 'd.endpoint_id'),
      )
      .select([
        'd.organization_id',
        'd.id',
        'd.endpoint_id',
        'd.event_id',
        'd.body',
        'd.attempt',
        'e.url',
        'e.secret',
      ])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .orderBy('d.next_attempt_at')
      .limit(limit)
      .$call(lockRows(trx, { mode: 'update', of: ['d'], skipLocked: true }))
      .execute()
    if (due.length === 0) return []
    await trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempt: eb('attempt', '+', 1),
        next_attempt_at: leaseUntil,
        lease_owner: owner,
        updated_at: now,
      }))
      .where((eb) =>
        eb(
          eb.refTuple('organization_id', 'id'),
          'in',
          due.map((d) => eb.tuple(d.organization_id, d.id)),
        ),
      )
      .execute()
    return due.map((d) => ({ ...d, attempt: Number(d.attempt) + 1 }))
  })
}

export interface EndpointOutcome {
  status: DeliveryStatus
  responseStatus: number | null
  durationMs: number
  error: string | null
  nextAttemptAt: string | null
}

/**
 * Records an attempt's outcome, unless the claim was lost meanwhile (another process took the delivery over
 * after this one's lease ran out): then the other's outcome stands. `disable` also disables the endpoint and
 * fails its other pending deliveries (it answered 410 Gone).
 */
export async function recordEndpointAttempt(
  trx: Trx,
  claimed: ClaimedEndpointDelivery,
  owner: string,
  outcome: EndpointOutcome,
  now: string,
  disable: string | null,
): Promise<boolean> {
  const result = await trx
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      response_status: outcome.responseStatus,
      duration_ms: outcome.durationMs,
      error: outcome.error,
      next_attempt_at: outcome.nextAttemptAt,
      lease_owner: null,
      updated_at: now,
    })
    .where('organization_id', '=', claimed.organization_id)
    .where('id', '=', claimed.id)
    .where('lease_owner', '=', owner)
    .where('attempt', '=', claimed.attempt)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  if (disable !== null) {
    await trx
      .updateTable('webhook_endpoints')
      .set({ disabled_at: now, disabled_reason: disable, updated_at: now })
      .where('organization_id', '=', claimed.organization_id)
      .where('id', '=', claimed.endpoint_id)
      .execute()
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', error: disable, next_attempt_at: null, lease_owner: null, updated_at: now })
      .where('organization_id', '=', claimed.organization_id)
      .where('endpoint_id', '=', claimed.endpoint_id)
      .where('status', '=', 'pending')
      .execute()
  }
  return true
}

export async function hasPendingDeliveriesOf(db: Db, organizationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'pending')
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export async function endpointBacklog(db: Db): Promise<{ pending: number; oldest: string | null }> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  return { pending: Number(row.n), oldest: row.oldest ?? null }
}

/** Forgets finished deliveries last touched before `before`: the log keeps them (bodies too, for retries) until then. */
export async function pruneDeliveryLog(db: Db, before: string): Promise<void> {
  await db
    .deleteFrom('webhook_deliveries')
    .where('status', '!=', 'pending')
    .where('updated_at', '<', before)
    .execute()
}
