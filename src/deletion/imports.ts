import type { Db, Trx } from '../db/connect.js'
import { lockRows } from '../db/dialect.js'
import type { Clock } from '../core/clock.js'
import { blockingSubscriptions, cancelSubscription } from '../subscriptions/repository.js'
import { beginDeletion } from './command.js'

// Imports that will not finish (exports/import-lease.ts): one that failed, and one whose process died, which the
// purge worker finds by its lapsed lease. Either goes the way of a deleted organization: marked `deleting`, a
// receipt in the name of the user who ran the import, the purge.

/** The importing organization, locked for a write like `lockLiveOrganization`; undefined once it is not importing. */
export function lockImporting(trx: Trx, organizationId: string) {
  return trx
    .selectFrom('organizations')
    .select(['id', 'slug', 'name', 'imported_by', 'import_lease_until'])
    .where('id', '=', organizationId)
    .where('status', '=', 'importing')
    .$call(lockRows(trx, { mode: 'noKeyUpdate' }))
    .executeTakeFirst()
}

/**
 * Hands an importing organization to the purge: no membership is needed (it may have none yet), and subscriptions
 * copied from the archive, never billed here, are canceled so they do not block it. False when it is not importing
 * (any more), or when `lapsedBefore` is given and its lease has not lapsed by then.
 */
export async function discardImport(db: Db, organizationId: string, lapsedBefore?: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const org = await lockImporting(trx, organizationId)
    if (!org || org.imported_by === null) return false
    const lease = org.import_lease_until
    if (lapsedBefore !== undefined && (lease === null || lease >= lapsedBefore)) return false
    const now = new Date().toISOString()
    for (const subscription of await blockingSubscriptions(trx, organizationId))
      await cancelSubscription(trx, organizationId, subscription.id, now)
    await beginDeletion(trx, org, org.imported_by, { graceSeconds: 0, quarantineSeconds: 0 })
    return true
  })
}

/**
 * A background step: purges one import abandoned by a dead process (its lease lapsed by the clock's now). An import
 * whose process still renews its lease is left alone. True when it found one.
 */
export async function abandonedImportsStep(db: Db, clock: Clock): Promise<boolean> {
  const now = new Date(clock.now()).toISOString()
  const lapsed = await db
    .selectFrom('organizations')
    .select('id')
    .where('status', '=', 'importing')
    .where('import_lease_until', '<', now)
    .limit(1)
    .executeTakeFirst()
  if (!lapsed) return false
  return discardImport(db, lapsed.id, now)
}
