import type { Db, Trx } from '../db/connect.js'

// A hold keeps some of a deletion's purge tasks from starting until a deadline, unless its holder releases them
// earlier. It is the purge's own retry mechanism (a task is claimed only once its `lease_expires_at` has passed),
// with the holder's name as the lease owner: a hold needs no worker of its own and cannot outlive its deadline.
// Webhooks use it so that an organization's endpoints are sent `organization.deleted` before they are purged.

/** Holds the deletion's tasks for `tables` (those not started) until `until`. */
export async function holdTasks(
  trx: Trx,
  deletionId: string,
  tables: readonly string[],
  holder: string,
  until: string,
): Promise<void> {
  await trx
    .updateTable('purge_tasks')
    .set({ lease_owner: holder, lease_expires_at: until })
    .where('deletion_id', '=', deletionId)
    .where('table_name', 'in', [...tables])
    .where('status', '=', 'pending')
    .where('lease_owner', 'is', null)
    .execute()
}

/** Lets the purge start the tasks `holder` still holds for the deletion, now. */
export async function releaseTasks(db: Db, deletionId: string, holder: string): Promise<void> {
  await db
    .updateTable('purge_tasks')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('deletion_id', '=', deletionId)
    .where('lease_owner', '=', holder)
    .execute()
}

export interface Hold {
  deletionId: string
  organizationId: string
  until: string
}

/** The deletions `holder` holds tasks of (deadline not yet passed), with their organization. */
export async function findHolds(db: Db, holder: string, now: string): Promise<Hold[]> {
  const rows = await db
    .selectFrom('purge_tasks')
    .innerJoin('deletions', 'deletions.id', 'purge_tasks.deletion_id')
    .select(['purge_tasks.deletion_id', 'deletions.organization_id'])
    .select((eb) => eb.fn.max('purge_tasks.lease_expires_at').as('until'))
    .where('purge_tasks.lease_owner', '=', holder)
    .where('purge_tasks.lease_expires_at', '>', now)
    .groupBy(['purge_tasks.deletion_id', 'deletions.organization_id'])
    .execute()
  return rows.map((r) => ({
    deletionId: r.deletion_id,
    organizationId: r.organization_id,
    until: r.until ?? now,
  }))
}

/** The holder webhooks use, and what a receipt says while it holds. */
export const WEBHOOK_HOLD = 'hold:webhooks'
const REASONS: Record<string, string> = {
  [WEBHOOK_HOLD]: "the organization's webhook endpoints to be sent organization.deleted",
}

/**
 * What each of these deletions' purges is held for, if anything, with the deadline: part of the receipt's
 * `waitingFor`.
 */
export async function heldFor(db: Db, deletionIds: string[], now: string): Promise<Map<string, string>> {
  const held = new Map<string, string>()
  if (deletionIds.length === 0) return held
  const rows = await db
    .selectFrom('purge_tasks')
    .select(['deletion_id', 'lease_owner', 'lease_expires_at'])
    .where('deletion_id', 'in', deletionIds)
    .where('lease_owner', 'in', Object.keys(REASONS))
    .where('lease_expires_at', '>', now)
    .execute()
  for (const row of rows) {
    const reason = REASONS[row.lease_owner ?? '']
    if (reason && row.lease_expires_at) held.set(row.deletion_id, `${reason} (until ${row.lease_expires_at})`)
  }
  return held
}
