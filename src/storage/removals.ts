import { sql, type ExpressionBuilder, type Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { LeasedQueue } from '../jobs/queue.js'
import type { Database, ObjectRemovalKind, ObjectRemovalsTable } from '../db/types.js'
import { organizationPrefix } from './keys.js'

// The outbox of object storage. A database transaction cannot also delete a file, so whatever deletes rows that
// own objects (a build, an app, an organization) writes here, in the same transaction, what must leave storage;
// the purge worker then removes it (deletion/objects.ts), idempotently, under a lease, retrying with backoff.
// An upload writes a row too before its bytes arrive: if it never commits its build, the object it may have left
// is removed once the upload can no longer be running.

export type ObjectRemoval = Selectable<ObjectRemovalsTable>

export interface NewRemoval {
  organizationId: string
  kind: ObjectRemovalKind
  key: string
  deletionId?: string
  /** Not before (an upload's deadline); now by default. */
  availableAt?: string
}

export async function enqueueRemoval(trx: Trx, removal: NewRemoval): Promise<string> {
  const [id = ''] = await enqueueRemovals(trx, [removal])
  return id
}

/** Several removals in one statement (retention queues a batch of builds at once); returns their ids. */
export async function enqueueRemovals(trx: Trx, removals: NewRemoval[]): Promise<string[]> {
  if (removals.length === 0) return []
  const now = nowIso()
  const rows = removals.map((removal) => ({
    organization_id: removal.organizationId,
    id: newId(),
    kind: removal.kind,
    object_key: removal.key,
    deletion_id: removal.deletionId ?? null,
    available_at: removal.availableAt ?? now,
    lease_owner: null,
    lease_expires_at: null,
    error: null,
    created_at: now,
  }))
  await trx.insertInto('object_removals').values(rows).execute()
  return rows.map((row) => row.id)
}

/** Written by DELETE in its own transaction: everything under the organization's prefix is to go. */
export async function enqueueOrganizationRemoval(
  trx: Trx,
  organizationId: string,
  deletionId: string,
): Promise<void> {
  await enqueueRemoval(trx, {
    organizationId,
    kind: 'prefix',
    key: organizationPrefix(organizationId),
    deletionId,
  })
}

/**
 * For the purge's completion query: nothing of the deletion's organization is still queued for removal. Its own
 * prefix leaves the queue only once a listing of it came back empty with no upload left that could still write
 * there (deletion/objects.ts).
 */
export function objectsGone(eb: ExpressionBuilder<Database, 'deletions'>) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('object_removals')
        .select(sql`1`.as('one'))
        .whereRef('object_removals.organization_id', '=', 'deletions.organization_id'),
    ),
  )
}

/** The queue of object removals (test/leased-queue.test.ts exercises it as it is). */
export const removals = new LeasedQueue({
  table: 'object_removals',
  key: ['organization_id', 'id'],
  owner: 'lease_owner',
  leaseEnd: 'lease_expires_at',
  due: 'available_at',
  attempts: { column: 'attempts', counted: 'failure' },
  error: 'error',
  order: ['available_at', 'id'],
})

/** Claims one removal that is due and not leased (or whose lease ran out), for `owner` until `leaseUntil`. */
export async function claimRemoval(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
): Promise<ObjectRemoval | undefined> {
  const [removal] = await removals.claim(db, { owner, now, leaseUntil, limit: 1 }, (from) => from.selectAll())
  return removal
}

/**
 * Claims up to `limit` due, unleased removals of single objects (a build's, an upload's past its deadline, an
 * export's), so one storage call removes them all: retention or an app's builds queue them by the thousand, and
 * one claim, one removal and one transaction per object made each cost a database round trip or three. Prefixes
 * are claimed one at a time (`claimRemoval`): each is a listing of its own.
 */
export async function claimRemovals(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<ObjectRemoval[]> {
  return removals.claim(db, { owner, now, leaseUntil, limit }, (from) =>
    from.selectAll().where('object_removals.kind', '!=', 'prefix'),
  )
}

/** Several removals done at once (`claimRemovals`): the rows this worker still holds go. */
export async function finishRemovals(db: Db, done: ObjectRemoval[], owner: string): Promise<void> {
  await removals.finishAll(db, done, owner)
}

/** Records `removed` more objects gone and renews the lease; false when the lease was lost to another worker. */
export async function recordRemovalProgress(
  db: Db,
  removal: ObjectRemoval,
  owner: string,
  removed: number,
  leaseUntil: string,
): Promise<boolean> {
  return removals.renew(db, removal, owner, leaseUntil, {
    set: { removed: sql<number>`removed + ${removed}` },
  })
}

/** The removal is done: its row goes. */
export async function finishRemoval(db: Db, removal: ObjectRemoval, owner: string): Promise<void> {
  await removals.finish(db, removal, owner)
}

/** Gives the removal back, to be claimed again no earlier than `availableAt`; a failure counts an attempt. */
export async function releaseRemoval(
  db: Db,
  removal: ObjectRemoval,
  owner: string,
  availableAt: string,
  failure?: string,
): Promise<void> {
  await removals.release(db, removal, owner, availableAt, { failure })
}

/** The earliest deadline of the organization's uploads that may still leave an object behind, if any. */
export async function pendingUploadDeadline(db: Db, organizationId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('object_removals')
    .select('available_at')
    .where('organization_id', '=', organizationId)
    .where('kind', '=', 'upload')
    .orderBy('available_at')
    .limit(1)
    .executeTakeFirst()
  return row?.available_at
}

/**
 * An upload commits: its build row is written in `trx` and its pending removal goes. False when the removal is
 * no longer there to settle, or a worker has claimed it (the upload outlived its deadline): the upload must not
 * commit, since its object may be removed at any moment.
 */
export async function settleUpload(trx: Trx, organizationId: string, removalId: string): Promise<boolean> {
  const result = await trx
    .deleteFrom('object_removals')
    .where('organization_id', '=', organizationId)
    .where('id', '=', removalId)
    .where('kind', '=', 'upload')
    .where('lease_owner', 'is', null)
    .executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

/** A failed upload has removed its own object: its pending removal goes, and the organization's wait (if any) ends. */
export async function forgetUpload(db: Db, organizationId: string, removalId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('object_removals')
      .where('organization_id', '=', organizationId)
      .where('id', '=', removalId)
      .where('kind', '=', 'upload')
      .execute()
    await trx
      .updateTable('object_removals')
      .set({ available_at: nowIso() })
      .where('organization_id', '=', organizationId)
      .where('kind', '=', 'prefix')
      .where('lease_owner', 'is', null)
      .execute()
  })
}

/**
 * The organization's prefix has been emptied: removals of single objects under it (an export's, due at its
 * expiry) have nothing left to do, and must not hold the organization's purge until they are due.
 */
export async function dropRemovalsUnder(db: Db, removal: ObjectRemoval): Promise<void> {
  await db
    .deleteFrom('object_removals')
    .where('organization_id', '=', removal.organization_id)
    .where('kind', '=', 'object')
    .where('id', '!=', removal.id)
    .where('lease_owner', 'is', null)
    .where(sql<string>`substr(object_key, 1, ${removal.object_key.length})`, '=', removal.object_key)
    .execute()
}

/** Every removal still queued (kind and key): what `storage check` must not call a stray. */
export function pendingRemovals(db: Db) {
  return db.selectFrom('object_removals').select(['kind', 'object_key']).execute()
}
