import { sql, type Kysely } from 'kysely'

// The retention step asks at every idle poll which organization is due (retention/repository.ts). Without an
// index that was a scan of every organization; this partial index holds only those with a policy that can remove
// something and no legal hold, ordered by when they were last looked at — the poll reads one entry of it. Its
// condition is written exactly as the query's, so both databases' planners can match it. It leaves out `status`:
// with an index of its own, SQLite without statistics would take that one instead.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('organizations_retention_due')
    .on('organizations')
    .columns(['retention_checked_at', 'id'])
    .where(
      sql<boolean>`legal_hold_reason is null and (retention_audit_days is not null or retention_builds_days is not null)`,
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('organizations_retention_due').execute()
}
