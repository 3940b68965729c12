import type { Kysely } from 'kysely'

// An import in progress is an organization with status `importing`, a lease its process renews and the user running
// it (named on the receipt if it is abandoned): every reader skips it, its slug is held, and once the lease lapses
// (the process died) the next worker purges it. An app token remembers when it last authenticated, for its list.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('import_lease_until', 'text').execute()
  await db.schema.alterTable('organizations').addColumn('imported_by', 'text').execute()
  await db.schema.alterTable('app_tokens').addColumn('last_used_at', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('app_tokens').dropColumn('last_used_at').execute()
  await db.schema.alterTable('organizations').dropColumn('imported_by').execute()
  await db.schema.alterTable('organizations').dropColumn('import_lease_until').execute()
}
