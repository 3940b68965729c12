import type { Db, Trx } from '../db/connect.js'
import type { NewOrganization } from '../db/types.js'
import type { Clock } from '../core/clock.js'
import { lockImporting } from '../deletion/imports.js'
import { insertOrganization } from '../organizations/repository.js'

// An import is one unit. Its organization is written `importing`: every reader looks for `active` ones only, so it
// answers 3001 and is in no list, while its row keeps the slug. The importing process holds a lease on it and
// renews it as it writes; the last transaction makes it `active`. A failed import, or one whose lease lapsed
// because its process died, is removed like any deleted organization (deletion/imports.ts).

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
