import type { Db, Trx } from '../db/connect.js'
import { isPostgres } from '../db/connect.js'
import type { NewOrganization } from '../db/types.js'
import type { Clock } from '../core/clock.js'
import { beginDeletion } from '../deletion/command.js'
import { insertOrganization } from '../organizations/repository.js'
import { blockingSubscriptions, cancelSubscription } from '../subscriptions/repository.js'

// An import is one unit. Its organization is written `importing`: every reader looks for `active` ones only, so it
// answers 3001 and is in no list, while its row keeps the slug. The importing process holds a lease on it and
// renews it as it writes; the last transaction makes it `active`. A failed import, or one whose lease lapsed
// because its process died, is removed like any deleted organization: marked `deleting`, a receipt, the purge.

/** How long an import stays its process's without a renewal; renewed every third of it, and with every page. */
export const IMPORT_LEASE_MS = 60_000

export async function insertImportingOrganization(
  db: Db,
  clock: Clock,
  org: Omit<NewOrganization, 'status' | 'import_lease_until' | 'imported_by'>,
  importedBy: string,
): Promise<void> {
  await db.transaction().execute((trx) =>
    insertOrganization(trx, {
      ...org,
      status: 'importing',
      import_lease_until: leaseEnd(clock),
      imported_by: importedBy,
    }),
  )
}

const leaseEnd = (clock: Clock) => new Date(clock.now() + IMPORT_LEASE_MS).toISOString()

/** The importing organization, locked for a write like `lockLiveOrganization`; undefined once it is not ours. */
function lockImporting(trx: Trx, organizationId: string) {
  return trx
    .selectFrom('organizations')
    .select(['id', 'slug', 'name', 'imported_by', 'import_lease_until'])
    .where('id', '=', organizationId)
    .where('status', '=', 'importing')
    .$if(isPostgres(trx), (q) => q.forNoKeyUpdate())
    .executeTakeFirst()
}

/** The import was taken away (its lease lapsed and another process removed it). */
export class ImportLost extends Error {
  constructor() {
    super('the import was abandoned: its lease lapsed and another process removed it')
    this.name = 'ImportLost'
  }
}

/** Runs `work` in one transaction on the importing organization, renewing the lease in it. */
export async function writeInImport<T>(
  db: Db,
  clock: Clock,
  organizationId: string,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockImporting(trx, organizationId))) throw new ImportLost()
    await renew(trx, clock, organizationId)
    return work(trx)
  })
}

async function renew(db: Db | Trx, clock: Clock, organizationId: string): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ import_lease_until: leaseEnd(clock) })
    .where('id', '=', organizationId)
    .where('status', '=', 'importing')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Renews the lease on a timer while a long write (a large build's bytes) holds no transaction. */
export function keepImportLeased(db: Db, clock: Clock, organizationId: string): () => void {
  const timer = setInterval(() => {
    renew(db, clock, organizationId).catch(() => undefined)
  }, IMPORT_LEASE_MS / 3)
  timer.unref()
  return () => clearInterval(timer)
}

/** The import's last step: the organization becomes live, in the transaction of its last write. */
export async function goLive(trx: Trx, organizationId: string): Promise<void> {
  const result = await trx
    .updateTable('organizations')
    .set({ status: 'active', import_lease_until: null, imported_by: null })
    .where('id', '=', organizationId)
    .where('status', '=', 'importing')
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) throw new ImportLost()
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
