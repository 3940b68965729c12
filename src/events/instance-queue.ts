import type { Insertable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { LeasedQueue } from '../jobs/queue.js'
import type { InstanceChannel, InstanceDeliveriesTable } from '../db/types.js'

// SQL of `instance_deliveries`: what the instance endpoint (WEBHOOK_URL) and email are still to be sent. A row
// exists while its delivery is pending and goes when it is sent or given up, so the event's data does not stay
// behind. Claimed like endpoints' deliveries (see webhooks/queue.ts), from the one leased queue (jobs/queue.ts).

export async function insertInstanceDeliveries(
  trx: Trx,
  rows: Insertable<InstanceDeliveriesTable>[],
): Promise<void> {
  if (rows.length > 0) await trx.insertInto('instance_deliveries').values(rows).execute()
}

export interface ClaimedInstanceDelivery {
  id: string
  channel: InstanceChannel
  event_id: string
  event_type: string
  body: string
  attempt: number
}

/** A row is due at `next_attempt_at`; while an attempt is in flight, that is when its lease ends. */
export const deliveries = new LeasedQueue({
  table: 'instance_deliveries',
  key: ['id'],
  owner: 'lease_owner',
  leaseEnd: 'next_attempt_at',
  attempts: { column: 'attempt', counted: 'claim' },
  error: 'error',
  order: ['next_attempt_at'],
})

export async function claimInstanceDeliveries(
  db: Db,
  channels: InstanceChannel[],
  owner: string,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<ClaimedInstanceDelivery[]> {
  if (channels.length === 0) return []
  // The claim counts the attempt and answers it as a number (jobs/queue.ts).
  return deliveries.claim(db, { owner, now, leaseUntil, limit }, (from) =>
    from
      .select(['id', 'channel', 'event_id', 'event_type', 'body', 'attempt'])
      .where('channel', 'in', channels),
  )
}

/** A finished instance delivery (sent, or given up) goes: nothing of the event stays behind. */
export async function finishInstanceDelivery(trx: Trx, claimed: ClaimedInstanceDelivery, owner: string) {
  await deliveries.finish(trx, claimed, owner)
}

export async function rescheduleInstanceDelivery(
  trx: Trx,
  claimed: ClaimedInstanceDelivery,
  owner: string,
  retryAt: string,
  responseStatus: number | null,
  error: string,
): Promise<void> {
  await deliveries.release(trx, claimed, owner, retryAt, {
    failure: error,
    set: { response_status: responseStatus },
  })
}

export async function instanceBacklog(db: Db) {
  const rows = await db
    .selectFrom('instance_deliveries')
    .select((eb) => ['channel', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .groupBy('channel')
    .execute()
  return (['webhook', 'email'] as const).map((channel) => {
    const row = rows.find((r) => r.channel === channel)
    return { channel, pending: Number(row?.n ?? 0), oldest: row?.oldest ?? null }
  })
}

/** Drops instance deliveries created before `before`: past the end of any retry schedule, so only those of a
 * channel no process has configured (they would otherwise keep an event's data forever). */
export async function expireInstanceDeliveries(db: Db, before: string): Promise<void> {
  await db.deleteFrom('instance_deliveries').where('created_at', '<', before).execute()
}
