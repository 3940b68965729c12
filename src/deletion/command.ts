import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { deletionRequested } from '../events/lifecycle.js'
import { AppError, ErrorCode } from '../http/errors.js'
import { authorize, Permission } from '../http/permissions.js'
import type { AuthContext } from '../tokens/service.js'
import { resolveMembership } from '../organizations/access.js'
import { activeSubscriptions } from './blockers.js'
import { insertDeletion } from './repository.js'
import { tenantTables } from './tables.js'

/**
 * DELETE /v1/organizations/:organizationId — the answer is one short transaction whose cost does not depend on
 * the organization's size:
 *  1. lock the organization row (FOR UPDATE; on SQLite the transaction is BEGIN IMMEDIATE) and re-check, under
 *     the lock, that it is live, that the caller is a member (3001) and the owner (4003);
 *  2. refuse while any subscription is active, trialing or past due (5111) — writes into the organization take
 *     the same row lock first (see organizations/write.ts), so no subscription can appear after this check;
 *  3. mark it `deleting` and free its slug: from the commit on, every read and write of it answers 3001;
 *  4. write the receipt and one purge task per tenant table; the purge worker does the rest;
 *  5. emit `organization.deleted` (events/lifecycle.ts), which may hold the purge of webhooks for a while.
 */
export async function requestDeletion(
  db: Db,
  auth: AuthContext,
  ref: string,
): Promise<{ deletionId: string }> {
  return db.transaction().execute(async (trx) => {
    const { org, role } = await resolveMembership(trx, auth, ref, { lock: 'delete' })
    authorize(role, Permission.OrganizationRemove)
    if ((await activeSubscriptions(trx, org.id)).length > 0) throw new AppError(ErrorCode.ActiveSubscriptions)

    const now = nowIso()
    await trx
      .updateTable('organizations')
      .set({ status: 'deleting', slug: null, deleted_at: now, updated_at: now })
      .where('id', '=', org.id)
      .execute()
    const deletionId = newId()
    await insertDeletion(
      trx,
      {
        id: deletionId,
        organization_id: org.id,
        organization_slug: org.slug ?? '',
        organization_name: org.name,
        requested_by: auth.userId,
        requested_at: now,
        status: 'purging',
        counts: '{}',
        completed_at: null,
        error: null,
        retry_at: null,
      },
      await tenantTables(trx),
    )
    await deletionRequested(trx, {
      organization: org,
      deletionId,
      requestedBy: { id: auth.userId, email: auth.email },
      requestedAt: now,
      restoreDeadline: null,
    })
    return { deletionId }
  })
}
