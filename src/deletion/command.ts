import type { Db, Trx } from '../db/connect.js'
import { newId } from '../db/ids.js'
import { deletionRequested } from './lifecycle.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { authorize, Permission } from '../core/permissions.js'
import type { AuthContext } from '../core/auth-context.js'
import { lockOrganization } from '../organizations/access.js'
import { markDeleting } from '../organizations/repository.js'
import { blockingSubscriptions } from '../subscriptions/repository.js'
import { enqueueOrganizationRemoval } from '../storage/removals.js'
import { insertDeletion } from './repository.js'
import { tenantTables } from './tables.js'

/** The receipt of a deletion just requested: `scheduled` until `purgeAt` when there is one, else `purging`. */
export function newReceipt(
  id: string,
  org: { id: string; slug: string | null; name: string },
  request: { requestedBy: string; requestedAt: string; purgeAt: string | null; replayOf?: string },
) {
  return {
    id,
    organization_id: org.id,
    organization_slug: org.slug ?? '',
    organization_name: org.name,
    requested_by: request.requestedBy,
    requested_at: request.requestedAt,
    status: request.purgeAt === null ? ('purging' as const) : ('scheduled' as const),
    counts: '{}',
    completed_at: null,
    error: null,
    retry_at: null,
    purge_at: request.purgeAt,
    expected: null,
    restored_at: null,
    slug_held_until: null,
    replay_of: request.replayOf ?? null,
  }
}

/** How this instance deletes (docs/api.md §8): DELETION_GRACE_SECONDS and SLUG_QUARANTINE_SECONDS. */
export interface DeletionPolicy {
  graceSeconds: number
  quarantineSeconds: number
}

/**
 * DELETE /v1/organizations/:organizationId — the answer is one short transaction whose cost does not depend on
 * the organization's size:
 *  1. lock the organization row (FOR UPDATE; on SQLite the transaction is BEGIN IMMEDIATE) and re-check, under
 *     the lock, that it is live, that the caller is a member (3001) and the owner (4003);
 *  2. refuse while it is under legal hold (5112), or while any subscription is active, trialing or past due
 *     (5111) — writes into the organization take the same row lock first (see organizations/write.ts), so no
 *     subscription can appear after this check;
 *  3. mark it `deleting`: from the commit on, every read and write of it answers 3001. Its slug is freed, unless
 *     a grace period or a quarantine holds it;
 *  4. write the receipt — `purging`, or `scheduled` until `purgeAt` with a grace period — and one purge task per
 *     tenant table; a purge that starts now also queues the removal of the organization's objects from storage
 *     (a scheduled one does when it starts: its objects stay until then, for a restore). The worker does the rest.
 *  5. emit `organization.deleted` (events/lifecycle.ts), which may hold the purge of webhooks for a while.
 */
export async function requestDeletion(
  db: Db,
  auth: AuthContext,
  ref: string,
  policy: DeletionPolicy,
): Promise<{ deletionId: string; purgeAt: string | null }> {
  return db.transaction().execute(async (trx) => {
    const { org, role } = await lockOrganization(trx, auth, ref, 'delete')
    authorize(role, Permission.OrganizationRemove)
    if (org.legal_hold_reason !== null) throw new AppError(ErrorCode.LegalHold)
    if ((await blockingSubscriptions(trx, org.id)).length > 0)
      throw new AppError(ErrorCode.ActiveSubscriptions)

    const { deletionId, purgeAt, now } = await beginDeletion(trx, org, auth.userId, policy)
    await deletionRequested(trx, {
      organization: org,
      deletionId,
      requestedBy: { id: auth.userId, email: auth.email },
      requestedAt: now,
      restoreDeadline: purgeAt,
    })
    return { deletionId, purgeAt }
  })
}

/**
 * Steps 3 and 4 above, for an organization the caller has locked and checked: marks it `deleting` and writes the
 * receipt and its purge tasks. Also how a failed or abandoned import is removed (deletion/imports.ts).
 */
export async function beginDeletion(
  trx: Trx,
  org: { id: string; slug: string | null; name: string },
  requestedBy: string,
  policy: DeletionPolicy,
): Promise<{ deletionId: string; purgeAt: string | null; now: string }> {
  const requested = new Date()
  const now = requested.toISOString()
  const scheduled = policy.graceSeconds > 0
  await markDeleting(trx, org.id, now, scheduled || policy.quarantineSeconds > 0)
  const deletionId = newId()
  const purgeAt = scheduled ? new Date(requested.getTime() + policy.graceSeconds * 1000).toISOString() : null
  await insertDeletion(
    trx,
    newReceipt(deletionId, org, { requestedBy, requestedAt: now, purgeAt }),
    await tenantTables(trx),
  )
  if (!scheduled) await enqueueOrganizationRemoval(trx, org.id, deletionId)
  return { deletionId, purgeAt, now }
}
