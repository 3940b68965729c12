import type { Kysely } from 'kysely'

// The deletion lifecycle (docs/api.md §8): a receipt may wait `scheduled` until `purge_at` and be `restored`;
// `expected` holds the organization's row counts as they were when it was deleted; an organization may be
// under legal hold; `controls` holds switches every process sharing the database obeys (deletions paused).

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deletions').addColumn('purge_at', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('expected', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('restored_at', 'text').execute()
  await db.schema.alterTable('deletions').addColumn('slug_held_until', 'text').execute()
  // check-slug and slug claims look up recently purged slugs (quarantine).
  await db.schema
    .createIndex('deletions_slug_idx')
    .on('deletions')
    .columns(['organization_slug', 'slug_held_until'])
    .execute()

  await db.schema.alterTable('organizations').addColumn('legal_hold_reason', 'text').execute()
  await db.schema.alterTable('organizations').addColumn('legal_hold_at', 'text').execute()

  await db.schema
    .createTable('controls')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('controls').execute()
  await db.schema.alterTable('organizations').dropColumn('legal_hold_at').execute()
  await db.schema.alterTable('organizations').dropColumn('legal_hold_reason').execute()
  await db.schema.dropIndex('deletions_slug_idx').execute()
  await db.schema.alterTable('deletions').dropColumn('slug_held_until').execute()
  await db.schema.alterTable('deletions').dropColumn('restored_at').execute()
  await db.schema.alterTable('deletions').dropColumn('expected').execute()
  await db.schema.alterTable('deletions').dropColumn('purge_at').execute()
}
