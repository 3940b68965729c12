import type { Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { takeRows } from '../jobs/queue.js'
import type { EventsTable } from '../db/types.js'

// SQL of the outbox (`events`) and of `deletion_notices`.

export type EventRow = Selectable<EventsTable>

export async function insertEvent(trx: Trx, event: EventRow): Promise<void> {
  await trx.insertInto('events').values(event).execute()
}

/**
 * Takes the oldest events out of the outbox, in the transaction that dispatches them (if it rolls back, they
 * are back): deleting is how an event is marked dispatched.
 */
export async function takeEvents(trx: Trx, limit: number): Promise<EventRow[]> {
  const rows = await takeRows(trx, { table: 'events', key: 'id', order: ['created_at', 'id'] }, limit)
  // RETURNING keeps no order.
  return rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
}

export async function hasEvents(db: Db): Promise<boolean> {
  return (await db.selectFrom('events').select('id').limit(1).executeTakeFirst()) !== undefined
}

export async function hasEventsOf(db: Db, organizationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('events')
    .select('id')
    .where('source_organization_id', '=', organizationId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Drops the organization's events that were never dispatched, except `keep`, when its purge completes: they
 * carry its data (names, serial numbers), which must not outlive the purge. A running worker dispatches events
 * within moments, so this only finds any when no worker has run since they were written.
 */
export async function dropUndispatchedEventsOf(trx: Trx, organizationId: string, keep: string[]) {
  await trx
    .deleteFrom('events')
    .where('source_organization_id', '=', organizationId)
    .$if(keep.length > 0, (q) => q.where('type', 'not in', keep))
    .execute()
}

export async function outboxBacklog(db: Db): Promise<{ pending: number; oldest: string | null }> {
  const row = await db
    .selectFrom('events')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .executeTakeFirstOrThrow()
  return { pending: Number(row.n), oldest: row.oldest ?? null }
}

export async function insertNotice(trx: Trx, deletionId: string, recipients: string[], now: string) {
  await trx
    .insertInto('deletion_notices')
    .values({ deletion_id: deletionId, recipients: JSON.stringify(recipients), created_at: now })
    .execute()
}

export async function findNotice(db: Db, deletionId: string): Promise<string[]> {
  const row = await db
    .selectFrom('deletion_notices')
    .select('recipients')
    .where('deletion_id', '=', deletionId)
    .executeTakeFirst()
  return row ? (JSON.parse(row.recipients) as string[]) : []
}

export async function deleteNotice(trx: Trx, deletionId: string): Promise<void> {
  await trx.deleteFrom('deletion_notices').where('deletion_id', '=', deletionId).execute()
}
