import { sql, type Insertable, type Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { lockRows } from '../db/dialect.js'
import { LeasedQueue } from '../jobs/queue.js'
import type { DeletionStatus, DeletionsTable, PurgeTasksTable } from '../db/types.js'
import { countRows } from '../db/query.js'
import { deletionFailed } from './lifecycle.js'
import { legalHoldOf } from '../organizations/repository.js'
import { enqueueOrganizationRemoval, objectsGone } from '../storage/removals.js'
import { tenantReferences } from './tables.js'

export type PurgeTask = Selectable<PurgeTasksTable>

export async function insertDeletion(
  trx: Trx,
  deletion: Omit<Insertable<DeletionsTable>, 'attempts'> & { id: string },
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

/** The receipts `requester` may read (every receipt for an operator: null), with the requester's email. */
function receiptsOf(db: Db, requester: Requester | null) {
  return db
    .selectFrom('deletions')
    .innerJoin('users', 'users.id', 'deletions.requested_by')
    .$if(requester !== null, (q) => q.where('deletions.requested_by', '=', requester?.userId ?? ''))
    .$if(requester?.organizationId != null, (q) =>
      q.where('deletions.organization_id', '=', requester?.organizationId ?? ''),
    )
}

/** A receipt's own row, the requester's email, and the organization's legal hold while it still exists. */
function receiptRows(db: Db, requester: Requester | null) {
  return receiptsOf(db, requester)
    .leftJoin('organizations', 'organizations.id', 'deletions.organization_id')
    .selectAll('deletions')
    .select(['users.email as requester_email', 'organizations.legal_hold_reason'])
}

export function findDeletionOfRequester(db: Db, deletionId: string, requester: Requester) {
  return receiptRows(db, requester).where('deletions.id', '=', deletionId).executeTakeFirst()
}

export function listDeletionsOfRequester(db: Db, requester: Requester, offset: number, limit: number) {
  return receiptRows(db, requester)
    .orderBy('deletions.requested_at', 'desc')
    .orderBy('deletions.id', 'desc')
    .offset(offset)
    .limit(limit)
    .execute()
}

export type DeletionRow = Awaited<ReturnType<typeof listDeletionsOfRequester>>[number]

/** Every deletion, newest first, optionally of one status (operators, `orgspace deletions list`). */
export function listAllDeletions(db: Db, status: DeletionStatus | undefined, limit: number) {
  return receiptRows(db, null)
    .$if(status !== undefined, (q) => q.where('deletions.status', '=', status ?? 'purging'))
    .orderBy('deletions.requested_at', 'desc')
    .orderBy('deletions.id', 'desc')
    .limit(limit)
    .execute()
}

export function findAnyDeletion(db: Db, deletionId: string) {
  return receiptRows(db, null).where('deletions.id', '=', deletionId).executeTakeFirst()
}

/**
 * Makes a failed deletion's next attempt due now: its backoff is dropped, and so is the delay on the tasks it
 * released. True when the deletion was failed.
 */
export async function retryNow(db: Db, deletionId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('deletions')
      .set({ retry_at: null })
      .where('id', '=', deletionId)
      .where('status', '=', 'failed')
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) return false
    await trx
      .updateTable('purge_tasks')
      .set({ lease_expires_at: null })
      .where('deletion_id', '=', deletionId)
      .where('lease_owner', 'is', null)
      .execute()
    return true
  })
}

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

/** A task is due while its lease is free or expired (a released task's lease ends at its retry time). */
const tasks = new LeasedQueue({
  table: 'purge_tasks',
  key: ['id'],
  owner: 'lease_owner',
  leaseEnd: 'lease_expires_at',
  nullIsDue: true,
  order: ['id'],
})

/**
 * Claims one pending task that is due, for `owner`, until `leaseUntil`. A failed deletion keeps saying `failed`
 * (with its reason) while it is retried, until it completes. A table that other tenant tables reference (apps,
 * referenced by builds) waits until their tasks are done, so no batch ever deletes a row that is still referenced.
 */
export async function claimTask(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
): Promise<PurgeTask | undefined> {
  const references = [...(await tenantReferences(db))]
  const [task] = await tasks.claim(db, { owner, now, leaseUntil, limit: 1 }, (from) =>
    from
      .innerJoin('deletions', 'deletions.id', 'purge_tasks.deletion_id')
      .selectAll('purge_tasks')
      .where('purge_tasks.status', '=', 'pending')
      // A scheduled (or restored) deletion's tasks wait; so do a deletion's until its expected counts are taken.
      .where('deletions.status', 'in', ['purging', 'failed'])
      .where('deletions.expected', 'is not', null)
      .$if(references.length > 0, (q) =>
        q.where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('purge_tasks as referencing')
                .select(sql`1`.as('one'))
                .whereRef('referencing.deletion_id', '=', 'purge_tasks.deletion_id')
                .where('referencing.status', '=', 'pending')
                .where((inner) =>
                  inner.or(
                    references.map(([table, children]) =>
                      inner.and([
                        inner('purge_tasks.table_name', '=', table),
                        inner('referencing.table_name', 'in', children),
                      ]),
                    ),
                  ),
                ),
            ),
          ),
        ),
      )
      .orderBy('deletions.requested_at')
      .orderBy('purge_tasks.id'),
  )
  return task
}

/**
 * Records one batch in the task, in the batch's own transaction, and renews the lease (or, when the table is done,
 * ends it). Returns false when the lease was lost to another worker (this one stalled past its lease): the caller
 * rolls the batch back.
 */
export async function recordBatch(
  trx: Trx,
  task: PurgeTask,
  owner: string,
  deleted: number,
  done: boolean,
  leaseUntil: string,
): Promise<boolean> {
  const counted = sql<number>`deleted + ${deleted}`
  return done
    ? tasks.finish(trx, task, owner, { set: { deleted: counted, status: 'done' } })
    : tasks.renew(trx, task, owner, leaseUntil, { set: { deleted: counted } })
}

/** Gives a task back, to be claimed again no earlier than `availableAt` (null: at once). */
export async function releaseTask(
  db: Db,
  taskId: string,
  owner: string,
  availableAt: string | null,
): Promise<void> {
  await tasks.release(db, { id: taskId }, owner, availableAt)
}

/**
 * A deletion being purged whose tasks are all done and whose objects have left storage: ready for the final check.
 * Locked on PostgreSQL.
 */
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
    .where(objectsGone)
    .orderBy('requested_at')
    .limit(1)
    .$call(lockRows(trx, { mode: 'update', skipLocked: true }))
    .executeTakeFirst()
}

/** Marks the deletion's pending tasks of `tables` done, unclaimed: they have nothing to delete. */
export async function closeTasks(trx: Trx, deletionId: string, tables: string[]): Promise<void> {
  if (tables.length === 0) return
  await trx
    .updateTable('purge_tasks')
    .set({ status: 'done' })
    .where('deletion_id', '=', deletionId)
    .where('table_name', 'in', tables)
    .where('status', '=', 'pending')
    .where('lease_owner', 'is', null)
    .execute()
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

/** Marks the receipt completed with its final counts and drops its tasks, in the purge's final transaction. */
export async function completeDeletion(
  trx: Trx,
  deletionId: string,
  counts: Record<string, number>,
  now: string,
  slugHeldUntil: string | null,
): Promise<void> {
  await trx
    .updateTable('deletions')
    .set({
      status: 'completed',
      counts: JSON.stringify(counts),
      completed_at: now,
      error: null,
      retry_at: null,
      slug_held_until: slugHeldUntil,
    })
    .where('id', '=', deletionId)
    .execute()
  await trx.deleteFrom('purge_tasks').where('deletion_id', '=', deletionId).execute()
}

/**
 * Starts the purge of one scheduled deletion whose `purge_at` has come and whose organization is not under legal
 * hold: `scheduled` → `purging`. The update is conditional on the receipt still being `scheduled`, and a
 * restore changes the same row: of the two, whichever commits first wins and the other changes nothing.
 */
export async function startDueDeletion(db: Db, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('deletions')
      .innerJoin('organizations', 'organizations.id', 'deletions.organization_id')
      .select(['deletions.id', 'deletions.organization_id'])
      .where('deletions.status', '=', 'scheduled')
      .where('deletions.purge_at', '<=', now)
      .where('organizations.legal_hold_reason', 'is', null)
      .orderBy('deletions.purge_at')
      .limit(1)
      .$call(lockRows(trx, { mode: 'update', of: ['deletions'], skipLocked: true }))
      .executeTakeFirst()
    if (!due) return false
    // A hold placed while this statement waited for the receipt's lock is not in its snapshot of the join: the
    // hold is read again, under the lock (placing a hold locks the same receipt; see organizations/holds.ts).
    if ((await legalHoldOf(trx, due.organization_id)) !== null) return false
    const started = await trx
      .updateTable('deletions')
      .set({ status: 'purging' })
      .where('id', '=', due.id)
      .where('status', '=', 'scheduled')
      .executeTakeFirst()
    if (Number(started.numUpdatedRows) !== 1) return false
    // Its objects stayed in storage while it could be restored; now they go, like the rows.
    await enqueueOrganizationRemoval(trx, due.organization_id, due.id)
    return true
  })
}

/**
 * A purging deletion whose expected counts have not been taken yet (its tasks wait for them), and with
 * `afterTombstone` whose tombstone is in the ledger (ledger-steps.ts).
 */
export function findUnmeasuredDeletion(db: Db, afterTombstone: boolean) {
  return unmeasured(db, afterTombstone).orderBy('requested_at').limit(1).executeTakeFirst()
}

/** That deletion again, locked, if it is still unmeasured and no other worker holds it. */
export function lockUnmeasuredDeletion(trx: Trx, deletionId: string) {
  return unmeasured(trx, false)
    .where('id', '=', deletionId)
    .$call(lockRows(trx, { mode: 'update', skipLocked: true }))
    .executeTakeFirst()
}

function unmeasured(db: Db, afterTombstone: boolean) {
  return db
    .selectFrom('deletions')
    .select(['id', 'organization_id'])
    .where('status', 'in', ['purging', 'failed'])
    .where('expected', 'is', null)
    .$if(afterTombstone, (q) => q.where('purge_started_at', 'is not', null))
}

export async function recordExpected(trx: Trx, deletionId: string, counts: Record<string, number>) {
  await trx
    .updateTable('deletions')
    .set({ expected: JSON.stringify(counts) })
    .where('id', '=', deletionId)
    .where('expected', 'is', null)
    .execute()
}

/** The requester's deletion, locked for a restore (PostgreSQL; SQLite's write transaction is exclusive). */
export function lockDeletionOfRequester(trx: Trx, deletionId: string, requester: Requester) {
  return receiptsOf(trx, requester)
    .selectAll('deletions')
    .where('deletions.id', '=', deletionId)
    .$call(lockRows(trx, { mode: 'update', of: ['deletions'] }))
    .executeTakeFirst()
}

/** The receipt says `restored`; the purge tasks it would have run go. */
export async function markRestored(trx: Trx, deletionId: string, now: string): Promise<void> {
  await trx
    .updateTable('deletions')
    .set({ status: 'restored', restored_at: now, error: null, retry_at: null })
    .where('id', '=', deletionId)
    .execute()
  await trx.deleteFrom('purge_tasks').where('deletion_id', '=', deletionId).execute()
}

const PAUSED = 'deletions.paused'

/** Whether an operator has paused every purge (`orgspace deletions pause`). */
export async function deletionsPaused(db: Db): Promise<boolean> {
  const row = await db.selectFrom('controls').select('value').where('name', '=', PAUSED).executeTakeFirst()
  return row?.value === 'true'
}

export async function setDeletionsPaused(db: Db, paused: boolean, now: string): Promise<void> {
  await db
    .insertInto('controls')
    .values({ name: PAUSED, value: String(paused), updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: String(paused), updated_at: now }))
    .execute()
}

/** What a worker needs to know of the deletion a claimed task belongs to. */
export function findDeletionOfTask(db: Db, task: PurgeTask) {
  return db
    .selectFrom('deletions')
    .select(['organization_id', 'attempts'])
    .where('id', '=', task.deletion_id)
    .executeTakeFirstOrThrow()
}

function openDeletionOf(db: Db, organizationId: string) {
  return db
    .selectFrom('deletions')
    .select(['id', 'status', 'purge_at'])
    .where('organization_id', '=', organizationId)
    .where('status', 'in', ['scheduled', 'purging', 'failed'])
}

/** `findOpenDeletionOf`, locking the receipt against a concurrent start of its purge (PostgreSQL). */
export function lockOpenDeletionOf(trx: Trx, organizationId: string) {
  return openDeletionOf(trx, organizationId)
    .$call(lockRows(trx, { mode: 'update' }))
    .executeTakeFirst()
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
      .$call(lockRows(trx, { mode: 'update' }))
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

/** Deletions whose purge is due or running and has not completed, and when the oldest of them was requested. */
export async function backlog(db: Db): Promise<{ pending: number; oldestRequestedAt: string | null }> {
  const row = await db
    .selectFrom('deletions')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('requested_at').as('oldest')])
    .where('status', 'in', ['purging', 'failed'])
    .executeTakeFirstOrThrow()
  return { pending: Number(row.n), oldestRequestedAt: row.oldest ?? null }
}

/** The newest deletion (not restored) of the organization with this id, or that had this slug when deleted. */
export function findDeletionOfRef(db: Db, ref: { id: string } | { slug: string }) {
  return db
    .selectFrom('deletions')
    .select(['id', 'organization_id', 'organization_slug', 'status'])
    .where((eb) =>
      'id' in ref ? eb('organization_id', '=', ref.id) : eb('organization_slug', '=', ref.slug),
    )
    .where('status', '!=', 'restored')
    .orderBy('requested_at', 'desc')
    .executeTakeFirst()
}

/** Whether any deletion's purge is due or running. */
export async function stillPurging(db: Db): Promise<boolean> {
  return (await backlog(db)).pending > 0
}
