import type { Db, Trx } from '../db/connect.js'
import { AppError } from '../core/errors.js'
import { recordAudit } from '../outbox/audit.js'
import type { AuditAction, AuditDetails } from '../contract/audit.js'
import { emitEvent, organizationRef } from '../outbox/emit.js'
import type { EventType, OrganizationRef } from '../outbox/types.js'
import { authorize, type Permission } from '../core/permissions.js'
import type { AuthContext } from '../core/auth-context.js'
import { lockOrganization } from './access.js'
import { lockLiveOrganization, type Membership } from './repository.js'

/**
 * Runs `work` in one transaction that first takes the organization's write lock and checks that it is live.
 *
 * This is the lock protocol that keeps deletion free of orphans. Every write into an organization goes
 * through here; DELETE takes the same row's lock (FOR UPDATE) and flips it to `deleting` in its own
 * transaction. The two are serialised on that row:
 * - the write commits first → DELETE runs after it, sees its rows (and any active subscription it made), and
 *   the purge removes them;
 * - DELETE commits first → the write finds the organization not live and answers 3001, writing nothing.
 * On PostgreSQL the serialisation is the row lock (READ COMMITTED re-reads the locked row after waiting); on
 * SQLite every write transaction is BEGIN IMMEDIATE, so writers are serialised by the database lock.
 */
export async function writeInOrganization<T>(
  db: Db,
  organizationId: string,
  work: (trx: Trx, org: OrganizationRef) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const org = await lockLiveOrganization(trx, organizationId)
    if (!org) throw AppError.notFound()
    return work(trx, organizationRef(org))
  })
}

/** What a change made by a member gets: its transaction, the locked organization, and its audit trail. */
export interface OrganizationChange extends Membership {
  trx: Trx
  /**
   * Records this change in the organization's audit history, in the same transaction, as the caller; `details`
   * names the entity as it is now and the change made, so the history reads without looking anything up.
   */
  audit(action: AuditAction, entity: string, entityId: string, details: AuditDetails): Promise<void>
  /** Writes the change's event into the outbox (events/emit.ts), in the same transaction, as the caller. */
  emit(type: EventType, data: Record<string, unknown>): Promise<void>
}

/**
 * A member's write into the organization named by `ref`: one transaction that, in a single query, finds the
 * organization, checks the caller is a member (3001) and takes the write lock above; then checks `permission`
 * (4003) and runs `work`. The role checked is the one the caller holds at commit (see `lockOrganization`), so
 * a member removed or demoted while the request was in flight writes nothing.
 */
export async function changeOrganization<T>(
  db: Db,
  auth: AuthContext,
  ref: string,
  permission: Permission,
  work: (change: OrganizationChange) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const membership = await lockOrganization(trx, auth, ref, 'write')
    authorize(membership.role, permission)
    const organizationId = membership.org.id
    return work({
      ...membership,
      trx,
      audit: (action, entity, entityId, details) =>
        recordAudit(trx, { organizationId, action, entity, entityId, actorId: auth.userId, details }),
      emit: async (type, data) => {
        const actor = { id: auth.userId, email: auth.email }
        await emitEvent(trx, { type, organization: organizationRef(membership.org), actor, data })
      },
    })
  })
}
