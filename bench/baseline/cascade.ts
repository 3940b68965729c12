import { sql } from 'kysely'
import type { Db } from '../../src/db/connect.js'
import { blockingSubscriptions } from '../../src/subscriptions/repository.js'
import { lockOrganization } from '../../src/organizations/access.js'
import { tenantTables } from '../../src/deletion/tables.js'
import { AppError, ErrorCode } from '../../src/core/errors.js'
import { authorize, Permission } from '../../src/core/permissions.js'
import type { AuthContext } from '../../src/core/auth-context.js'

/**
 * The common way to delete a tenant, kept as the benchmark's baseline: inside the request, in one transaction,
 * delete every row of every tenant table and then the organization — what one `ON DELETE CASCADE` from the
 * organization row does. The checks before it are orgspace's own, so the two differ only in the deletion work.
 */
export async function cascadeDelete(db: Db, auth: AuthContext, ref: string): Promise<{ rows: number }> {
  return db.transaction().execute(async (trx) => {
    const { org, role } = await lockOrganization(trx, auth, ref, 'delete')
    authorize(role, Permission.OrganizationRemove)
    if ((await blockingSubscriptions(trx, org.id)).length > 0)
      throw new AppError(ErrorCode.ActiveSubscriptions)
    let rows = 0
    for (const table of await tenantTables(trx)) {
      const result = await sql`delete from ${sql.table(table)} where organization_id = ${org.id}`.execute(trx)
      rows += Number(result.numAffectedRows ?? 0)
    }
    await trx.deleteFrom('organizations').where('id', '=', org.id).execute()
    return { rows: rows + 1 }
  })
}
