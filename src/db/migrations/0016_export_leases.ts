import type { Kysely } from 'kysely'

// Exports are a leased queue (jobs/queue.ts): an accepted export waits for any process's export job to claim it,
// and one whose process died is taken over once its lease runs out, instead of staying `running` for ever.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('exports').addColumn('lease_owner', 'text').execute()
  await db.schema.alterTable('exports').addColumn('lease_expires_at', 'text').execute()
  await db.schema
    .createIndex('exports_status_lease_idx')
    .on('exports')
    .columns(['status', 'lease_expires_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('exports_status_lease_idx').execute()
  for (const column of ['lease_owner', 'lease_expires_at'])
    await db.schema.alterTable('exports').dropColumn(column).execute()
}
