import type { Kysely } from 'kysely'

// Proof of deletion (docs/api.md §11, §12): when the purge started (its tombstone reached the ledger then), the signed
// certificate and when it reached the ledger, and for a deletion replayed after a backup restore, the deletion the
// ledger's tombstone named. Receipts written before keep nulls: their certificates are issued on request.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deletions').addColumn('purge_started_at', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('certificate', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('certificate_ledgered_at', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('replay_of', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deletions').dropColumn('replay_of').execute()
  await db.schema.alterTable('deletions').dropColumn('certificate_ledgered_at').execute()
  await db.schema.alterTable('deletions').dropColumn('certificate').execute()
  await db.schema.alterTable('deletions').dropColumn('purge_started_at').execute()
}
