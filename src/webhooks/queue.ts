import type { Db, Trx } from '../db/connect.js'
import { LeasedQueue } from '../jobs/queue.js'
import type { DeliveryStatus } from '../db/types.js'

// The queue of endpoints' deliveries (`webhook_deliveries`: tenant rows that stay as the endpoint's log) as the
// delivery worker works it; events/instance-queue.ts is its twin for the instance's own. Claiming a delivery
// counts the attempt and moves `next_attempt_at` to the end of a lease: if the process dies during the
// attempt, the delivery becomes due again then, with the same event id (at least once).

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

/** A pending delivery is due at `next_attempt_at`; while an attempt is in flight, that is when its lease ends. */
const deliveries = new LeasedQueue({
  table: 'webhook_deliveries',
  key: ['organization_id', 'id'],
  owner: 'lease_owner',
  leaseEnd: 'next_attempt_at',
  attempts: { column: 'attempt', counted: 'claim' },
  order: ['next_attempt_at'],
})

export async function claimEndpointDeliveries(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<ClaimedEndpointDelivery[]> {
  // The claim counts the attempt and answers it as a number (jobs/queue.ts).
  return deliveries.claim(db, { owner, now, leaseUntil, limit, set: { updated_at: now } }, (from) =>
    from
      .innerJoin('webhook_endpoints as e', (join) =>
        join
          .onRef('e.organization_id', '=', 'webhook_deliveries.organization_id')
          .onRef('e.id', '=', 'webhook_deliveries.endpoint_id'),
      )
      .select([
        'webhook_deliveries.organization_id',
        'webhook_deliveries.id',
        'webhook_deliveries.endpoint_id',
        'webhook_deliveries.event_id',
        'webhook_deliveries.body',
        'webhook_deliveries.attempt',
        'e.url',
        'e.secret',
      ])
      .where('webhook_deliveries.status', '=', 'pending'),
  )
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
  const settle = {
    set: {
      status: outcome.status,
      response_status: outcome.responseStatus,
      duration_ms: outcome.durationMs,
      error: outcome.error,
      updated_at: now,
    },
  }
  const recorded =
    outcome.status === 'pending'
      ? await deliveries.release(trx, claimed, owner, outcome.nextAttemptAt, settle)
      : await deliveries.finish(trx, claimed, owner, settle)
  if (!recorded) return false
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
