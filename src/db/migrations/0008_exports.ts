import { sql, SqliteAdapter, type Kysely } from 'kysely'

// Exports of an organization (docs/api.md §10): one row per archive requested through the API. The archive itself is
// an object in storage under the organization's prefix, so the organization's purge removes it with its builds.
// A tenant table: primary key (organization_id, id), purged with the organization's other rows; WITHOUT ROWID on
// SQLite like every tenant table since 0006, so it is stored in key order and the purge addresses it the same way.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  await db.schema
    .createTable('exports')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    /** running | completed | failed */
    .addColumn('status', 'text', (c) => c.notNull())
    /** Whole percent done, 0–100. */
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size', 'bigint')
    .addColumn('sha256', 'text')
    .addColumn('object_key', 'text', (c) => c.notNull())
    /** The removal queued while the archive is being written (storage/removals.ts, kind `upload`). */
    .addColumn('removal_id', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    /** Last sign of life of a running export: one not seen for a while died with its process. */
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('expires_at', 'text')
    .addPrimaryKeyConstraint('exports_pk', ['organization_id', 'id'])
    .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
    .execute()
  await db.schema
    .createIndex('exports_org_created_idx')
    .on('exports')
    .columns(['organization_id', 'created_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('exports').execute()
}
