import { sql, type Selectable } from 'kysely'
import { isPostgres, type Db, type Trx } from '../db/connect.js'
import type { Deletion, PurgeTasksTable } from '../db/types.js'
import { countRows } from '../db/query.js'
import { deletionFailed } from '../events/lifecycle.js'

export type PurgeTask = Selectable<PurgeTasksTable>

export async function insertDeletion(
  trx: Trx,
  deletion: Omit<Deletion, 'attempts'>,
  tables: string[],
): Promise<void> {
  await trx.insertInto('deletions').values(deletion).execute()
  await trx
    .insertInto('purge_tasks')
    .values(
      tables.map((table) => ({
        id: `${deletion.id}:${table}`,
        deletion_id: deletion.id,
        table_name: table,
        status: 'pending' as const,
        deleted: 0,
        lease_owner: null,
        lease_expires_at: null,
      })),
    )
    .execute()
}

/** Whose receipts: the requester's, and with a token scoped to one organization, only that organization's. */
export interface Requester {
  userId: string
  organizationId: string | null
}

/** The receipts `requester` may read, with the requester's email. */
function receiptsOf(db: Db, requester: Requester) {
  return db
    .selectFrom('deletions')
    .innerJoin('users', 'users.id', 'deletions.requested_by')
    .where('deletions.requested_by', '=', requester.userId)
    .$if(requester.organizationId !== null, (q) =>
      q.where('deletions.organization_id', '=', requester.organizationId ?? ''),
    )
}

export function findDeletionOfRequester(db: Db, deletionId: string, requester: Requester) {
  return receiptsOf(db, requester)
    .selectAll('deletions')
    .select('users.email as requester_email')
    .where('deletions.id', '=', deletionId)
    .executeTakeFirst()
}

export function listDeletionsOfRequester(db: Db, requester: Requester, offset: number, limit: number) {
  return receiptsOf(db, requester)
    .selectAll('deletions')
    .select('users.email as requester_email')
    .orderBy('deletions.requested_at', 'desc')
    .orderBy('deletions.id', 'desc')
    .offset(offset)
    .limit(limit)
    .execute()
}

export type DeletionRow = Awaited<ReturnType<typeof listDeletionsOfRequester>>[number]

export async function countDeletionsOfRequester(db: Db, requester: Requester): Promise<number> {
  return countRows(receiptsOf(db, requester))
}

/** Rows deleted so far per table, for the deletions that are still being purged. */
export function taskProgress(db: Db, deletionIds: string[]) {
  if (deletionIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('purge_tasks')
    .select(['deletion_id', 'table_name', 'deleted'])
    .where('deletion_id', 'in', deletionIds)
    .execute()
}

/**
 * Claims one pending task whose lease is free or expired, for `owner`, until `leaseUntil`. On PostgreSQL,
 * FOR UPDATE SKIP LOCKED lets several workers claim different tasks at once without waiting on each other.
 * A failed deletion keeps saying `failed` (with its reason) while it is retried, until it completes.
 */
export async function claimTask(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
): Promise<PurgeTask | undefined> {
  return db.transaction().execute(async (trx) => {
    const candidate = await trx
      .selectFrom('purge_tasks')
      .innerJoin('deletions', 'deletions.id', 'purge_tasks.deletion_id')
      .select(['purge_tasks.id', 'purge_tasks.deletion_id'])
      .where('purge_tasks.status', '=', 'pending')
      .where((eb) =>
        eb.or([eb('purge_tasks.lease_expires_at', 'is', null), eb('purge_tasks.lease_expires_at', '<', now)]),
      )
      .orderBy('deletions.requested_at')
      .orderBy('purge_tasks.id')
      .limit(1)
      .$if(isPostgres(trx), (q) => q.forUpdate(['purge_tasks']).skipLocked())
      .executeTakeFirst()
    if (!candidate) return undefined
    return trx
      .updateTable('purge_tasks')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil })
      .where('id', '=', candidate.id)
      .returningAll()
      .executeTakeFirst()
  })
}

/**
 * Records one batch in the task, in the batch's own transaction, and renews the lease. Returns false when the
 * lease was lost to another worker (this one stalled past its lease): the caller rolls the batch back.
 */
export async function recordBatch(
  trx: Trx,
  task: PurgeTask,
  owner: string,
  deleted: number,
  done: boolean,
  leaseUntil: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('purge_tasks')
    .set((eb) => ({
      deleted: eb('deleted', '+', deleted),
      status: done ? 'done' : 'pending',
      lease_expires_at: done ? null : leaseUntil,
      lease_owner: done ? null : owner,
    }))
    .where('id', '=', task.id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Gives a task back, to be claimed again no earlier than `availableAt`. */
export async function releaseTask(
  db: Db,
  taskId: string,
  owner: string,
  availableAt: string | null,
): Promise<void> {
  await db
    .updateTable('purge_tasks')
    .set({ lease_owner: null, lease_expires_at: availableAt })
    .where('id', '=', taskId)
    .where('lease_owner', '=', owner)
    .execute()
}

/** A deletion being purged whose tasks are all done: ready for the final check. Locked on PostgreSQL. */
export function lockFinishedDeletion(trx: Trx, now: string) {
  return trx
    .selectFrom('deletions')
    .selectAll()
    .where('status', 'in', ['purging', 'failed'])
    .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('purge_tasks')
            .select(sql`1`.as('one'))
            .whereRef('purge_tasks.deletion_id', '=', 'deletions.id')
            .where('purge_tasks.status', '=', 'pending'),
        ),
      ),
    )
    .orderBy('requested_at')
    .limit(1)
    .$if(isPostgres(trx), (q) => q.forUpdate().skipLocked())
    .executeTakeFirst()
}

export async function reopenTasks(trx: Trx, deletionId: string, tables: string[]): Promise<void> {
  for (const table of tables) {
    await trx
      .insertInto('purge_tasks')
      .values({
        id: `${deletionId}:${table}`,
        deletion_id: deletionId,
        table_name: table,
        status: 'pending',
        deleted: 0,
        lease_owner: null,
        lease_expires_at: null,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ status: 'pending', lease_owner: null, lease_expires_at: null }),
      )
      .execute()
  }
}

export async function recordFailure(
  db: Db,
  deletionId: string,
  reason: string,
  retryAt: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const deletion = await trx
      .selectFrom('deletions')
      .selectAll()
      .where('id', '=', deletionId)
      .where('status', '!=', 'completed')
      .$if(isPostgres(trx), (q) => q.forUpdate())
      .executeTakeFirst()
    if (!deletion) return
    await trx
      .updateTable('deletions')
      .set((eb) => ({ status: 'failed', error: reason, retry_at: retryAt, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', deletionId)
      .execute()
    // A purge that has just started failing is news; one failing again while it is retried is not.
    if (deletion.status === 'purging')
      await deletionFailed(trx, deletion, { reason, attempts: deletion.attempts + 1, retryAt })
  })
}

export async function backlog(db: Db): Promise<{ pending: number; oldestRequestedAt: string | null }> {
  const row = await db
    .selectFrom('deletions')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('requested_at').as('oldest')])
    .where('status', '!=', 'completed')
    .executeTakeFirstOrThrow()
  return { pending: Number(row.n), oldestRequestedAt: row.oldest ?? null }
}
