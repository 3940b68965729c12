import type { Kysely } from 'kysely'

// Retention policy per organization (docs/api.md §15): null keeps forever, the default. `retention_checked_at` is
// when the retention step last looked at the organization, so each is looked at once per interval, not per poll.

const COLUMNS = ['retention_audit_days', 'retention_builds_days', 'retention_builds_keep_latest'] as const

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of COLUMNS)
    await db.schema.alterTable('organizations').addColumn(column, 'integer').execute()
  await db.schema.alterTable('organizations').addColumn('retention_checked_at', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of [...COLUMNS, 'retention_checked_at'])
    await db.schema.alterTable('organizations').dropColumn(column).execute()
}
