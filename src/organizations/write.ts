import type { Db, Trx } from '../db/connect.js'
import { AppError } from '../http/errors.js'
import { authorize, type Permission } from '../http/permissions.js'
import { findRole, lockLiveOrganization } from './repository.js'

/**
 * Runs `work` in one transaction that first takes the organization's write lock and checks that it is live
 * (and that `actor` is still a member holding the permission).
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
  actor: Actor | null,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockLiveOrganization(trx, organizationId))) throw AppError.notFound()
    if (actor) {
      // Checked again under the lock: a member removed or demoted while this request was in flight writes nothing.
      const role = await findRole(trx, organizationId, actor.userId)
      if (!role) throw AppError.notFound()
      authorize(role, actor.permission)
    }
    return work(trx)
  })
}

/** Who writes, and with which permission; null for the system itself (seeding). */
export interface Actor {
  userId: string
  permission: Permission
}
