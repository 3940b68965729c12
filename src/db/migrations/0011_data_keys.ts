import { sql, SqliteAdapter, type Kysely } from 'kysely'

// Crypto-erasure (docs/api.md §13): every organization's objects are encrypted under a data key of its own, kept here
// wrapped by the master key (MASTER_KEY_FILE), never in the clear. A tenant table, so the purge deletes its row with
// the rest; the purge's storage step deletes it first, before any object is removed, and records when on the
// deletion, so the certificate can say the objects were crypto-erased.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  await db.schema
    .createTable('organization_data_keys')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    /** The key's own id: the purge addresses every tenant table by (organization_id, id). */
    .addColumn('id', 'text', (c) => c.notNull())
    /** base64 of nonce ‖ AES-256-GCM ciphertext ‖ tag, the organization id as associated data. */
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    /** Which master key wrapped it (a fingerprint): what `keys rotate-master` has still to re-wrap. */
    .addColumn('master_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('organization_data_keys_pk', ['organization_id', 'id'])
    .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
    .execute()
  // One key per organization: a concurrent first use keeps whichever committed first.
  await db.schema
    .createIndex('organization_data_keys_org_idx')
    .on('organization_data_keys')
    .column('organization_id')
    .unique()
    .execute()
  await db.schema
    .createIndex('organization_data_keys_master_idx')
    .on('organization_data_keys')
    .columns(['master_key_id', 'organization_id'])
    .execute()
  await db.schema.alterTable('deletions').addColumn('data_key_destroyed_at', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deletions').dropColumn('data_key_destroyed_at').execute()
  await db.schema.dropTable('organization_data_keys').execute()
}
