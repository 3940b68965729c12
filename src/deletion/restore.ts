import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { organizationRestored } from './lifecycle.js'
import { AppError } from '../core/errors.js'
import { reactivateOrganization } from '../organizations/repository.js'
import type { AuthContext } from '../core/auth-context.js'
import { lockDeletionOfRequester, markRestored } from './repository.js'
import { getReceipt } from './service.js'

const TOO_LATE: Record<string, string> = {
  purging: 'the purge has started; the organization can no longer be restored',
  failed: 'the purge has started; the organization can no longer be restored',
  completed: 'the organization has been purged',
  restored: 'the organization has already been restored',
}

/**
 * POST /v1/deletions/:deletionId/restore — brings a scheduled deletion's organization back exactly as it was:
 * nothing of it was touched while it waited (its rows, tokens scoped to it and its slug were kept), so putting
 * the organization back in service is the whole restore. Only the requester may restore (only an owner can
 * delete, so that is whoever owned it when it was deleted).
 *
 * The receipt row is locked and must still be `scheduled`: the purge's start changes the same row under the same
 * condition (startDueDeletion), so of a restore and a purge start racing, exactly one wins. It emits
 * `organization.restored`, and the email notice of the deletion is forgotten.
 */
export async function restoreDeletion(db: Db, auth: AuthContext, deletionId: string) {
  const id = deletionId.toLowerCase()
  await db.transaction().execute(async (trx) => {
    const deletion = await lockDeletionOfRequester(trx, id, auth)
    if (!deletion) throw AppError.notFound()
    if (deletion.status !== 'scheduled')
      throw AppError.conflict(TOO_LATE[deletion.status] ?? 'the deletion cannot be restored')
    if (!(await reactivateOrganization(trx, deletion.organization_id)))
      throw new Error(`scheduled deletion ${id} has no organization to restore`)
    await markRestored(trx, id, nowIso())
    await organizationRestored(trx, {
      organization: {
        id: deletion.organization_id,
        slug: deletion.organization_slug,
        name: deletion.organization_name,
      },
      deletionId: id,
      restoredBy: { id: auth.userId, email: auth.email },
    })
  })
  return getReceipt(db, auth, id)
}
