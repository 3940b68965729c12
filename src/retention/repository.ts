import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/types.js'

// Which organizations the retention step works on (see step.ts), by the columns of migration 0014.

// The condition of the partial index organizations_retention_due (migration 0015), word for word and with
// literals rather than parameters, so that both databases' planners can match it: an idle poll then reads an
// entry or two of that index instead of every organization.
const RETENTION_DUE = sql<boolean>`legal_hold_reason is null and (retention_audit_days is not null or retention_builds_days is not null)`

type Condition = (eb: ExpressionBuilder<Database, 'organizations'>) => Expression<SqlBool>

const stale =
  (staleBefore: string): Condition =>
  (eb) =>
    eb.or([eb('retention_checked_at', 'is', null), eb('retention_checked_at', '<', staleBefore)])

/** Organizations due for retention whose last check meets `checked`, first in the index's order. */
export function dueOrganizationQuery(db: Db, checked: Condition) {
  return db
    .selectFrom('organizations')
    .select('id')
    .where(RETENTION_DUE)
    .where(checked)
    .orderBy('retention_checked_at')
    .orderBy('id')
    .limit(1)
}

/**
 * Claims the organization whose policy is longest unchecked (never checked first), if it was last checked
 * before `staleBefore`: one not under legal hold, with a policy that can remove something (one being deleted is
 * claimed too, and its run removes nothing: retention writes only under a live organization's write lock). Its
 * `retention_checked_at` becomes `now`, so another worker's claim of the same organization updates nothing.
 */
export async function claimDueOrganization(
  db: Db,
  now: string,
  staleBefore: string,
): Promise<{ id: string } | undefined> {
  const candidate =
    (await dueOrganizationQuery(db, (eb) => eb('retention_checked_at', 'is', null)).executeTakeFirst()) ??
    (await dueOrganizationQuery(db, (eb) => eb('retention_checked_at', '<', staleBefore)).executeTakeFirst())
  if (!candidate) return undefined
  const claimed = await db
    .updateTable('organizations')
    .set({ retention_checked_at: now })
    .where('id', '=', candidate.id)
    .where(stale(staleBefore))
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
