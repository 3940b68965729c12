import { sql, type ExpressionBuilder } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/types.js'

// Which organizations the retention step works on (see step.ts), by the columns of migration 0014.

/**
 * Claims the organization whose policy is longest unchecked (never checked first), if it was last checked
 * before `staleBefore`: a live one, not under legal hold, with a policy that can remove something. Its
 * `retention_checked_at` becomes `now`, so another worker's claim of the same organization updates nothing.
 */
export async function claimDueOrganization(
  db: Db,
  now: string,
  staleBefore: string,
): Promise<{ id: string } | undefined> {
  const stale = (eb: ExpressionBuilder<Database, 'organizations'>) =>
    eb.or([eb('retention_checked_at', 'is', null), eb('retention_checked_at', '<', staleBefore)])
  const candidate = await db
    .selectFrom('organizations')
    .select('id')
    .where('status', '=', 'active')
    .where('legal_hold_reason', 'is', null)
    .where((eb) =>
      eb.or([eb('retention_audit_days', 'is not', null), eb('retention_builds_days', 'is not', null)]),
    )
    .where(stale)
    .orderBy(sql`coalesce(retention_checked_at, '')`)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
  if (!candidate) return undefined
  const claimed = await db
    .updateTable('organizations')
    .set({ retention_checked_at: now })
    .where('id', '=', candidate.id)
    .where(stale)
    .executeTakeFirst()
  return Number(claimed.numUpdatedRows) === 1 ? candidate : undefined
}

/** The policy and hold of an organization (read again under its write lock before anything is deleted). */
export function retentionPolicyOf(db: Db, organizationId: string) {
  return db
    .selectFrom('organizations')
    .select([
      'legal_hold_reason',
      'retention_audit_days',
      'retention_builds_days',
      'retention_builds_keep_latest',
    ])
    .where('id', '=', organizationId)
    .executeTakeFirst()
}
