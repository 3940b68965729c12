import type { Kysely } from 'kysely'

// Builds (application binaries kept in object storage), app tokens for CI uploads, and the queue of objects to
// remove from storage. Frozen in time like every migration: Kysely<any>, no application types.
//
// `builds` and `app_tokens` are tenant tables: primary key (organization_id, id), and their foreign key to the app
// includes organization_id, so a row can only ever point at an app of its own organization (and the tables can be
// co-located when PostgreSQL is sharded by organization). They stay rowid tables on SQLite: the purge addresses
// rows by rowid.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // The target of the (organization_id, app_id) foreign keys below.
  await db.schema
    .createIndex('apps_org_id_unique')
    .unique()
    .on('apps')
    .columns(['organization_id', 'id'])
    .execute()

  // Bytes of the organization's builds, maintained under its write lock like the other counters: the deletion
  // receipt and preview read it instead of summing every build.
  await db.schema
    .alterTable('organizations')
    .addColumn('builds_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()

  await db.schema
    .createTable('builds')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('version_name', 'text')
    .addColumn('version_code', 'text')
    .addColumn('changelog', 'text')
    /** JSON array of strings. */
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    /** JSON {name, info{…}}: the CI that uploaded the build, when it said. */
    .addColumn('deployer', 'text')
    .addColumn('uploaded_by', 'text', (c) => c.notNull().references('users.id'))
    /** The app token that uploaded it, if one did (no foreign key: the token may be revoked later). */
    .addColumn('app_token_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('builds_pk', ['organization_id', 'id'])
    .addForeignKeyConstraint('builds_app_fk', ['organization_id', 'app_id'], 'apps', [
      'organization_id',
      'id',
    ])
    .execute()
  await db.schema
    .createIndex('builds_app_created_idx')
    .on('builds')
    .columns(['organization_id', 'app_id', 'created_at', 'id'])
    .execute()

  await db.schema
    .createTable('app_tokens')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addPrimaryKeyConstraint('app_tokens_pk', ['organization_id', 'id'])
    .addForeignKeyConstraint('app_tokens_app_fk', ['organization_id', 'app_id'], 'apps', [
      'organization_id',
      'id',
    ])
    .execute()
  await db.schema
    .createIndex('app_tokens_app_created_idx')
    .on('app_tokens')
    .columns(['organization_id', 'app_id', 'created_at', 'id'])
    .execute()

  // The outbox of storage: objects (or whole prefixes) to remove, written in the transaction that deletes their
  // rows, and removed by the purge worker. Kept out of the row purge (it must outlive the organization's rows until
  // its objects are gone), so no foreign key to the organization either.
  await db.schema
    .createTable('object_removals')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    /** `object`: one key; `prefix`: every key under it; `upload`: the key of an upload in flight, if it fails. */
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    /** Set on the organization's own prefix: the deletion whose receipt waits for it. */
    .addColumn('deletion_id', 'text')
    .addColumn('available_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('object_removals_pk', ['organization_id', 'id'])
    .execute()
  await db.schema
    .createIndex('object_removals_available_idx')
    .on('object_removals')
    .column('available_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('object_removals').execute()
  await db.schema.dropTable('app_tokens').execute()
  await db.schema.dropTable('builds').execute()
  await db.schema.alterTable('organizations').dropColumn('builds_bytes').execute()
  await db.schema.dropIndex('apps_org_id_unique').execute()
}
