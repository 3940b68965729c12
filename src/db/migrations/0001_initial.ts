import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations take Kysely<any> and never import application types.
// One schema for SQLite and PostgreSQL. Ids are 24-hex text, timestamps ISO-8601 UTC text.
// Every table that holds an organization's data has `organization_id` (its tenant key): the purge and its
// final check find those tables by that column.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.unique())
    .addColumn('web_site_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('apps_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('devices_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('collaborators_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute()
  await db.schema.createIndex('organizations_status_idx').on('organizations').column('status').execute()

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .execute()
  await db.schema.createIndex('tokens_user_idx').on('tokens').columns(['user_id', 'created_at']).execute()
  await db.schema.createIndex('tokens_organization_idx').on('tokens').column('organization_id').execute()

  await db.schema
    .createTable('collaborators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('collaborators_org_user_unique', ['organization_id', 'user_id'])
    .execute()
  await db.schema.createIndex('collaborators_user_idx').on('collaborators').column('user_id').execute()
  // Exactly one owner per organization: the database refuses a second one whatever the code does.
  await db.schema
    .createIndex('collaborators_one_owner')
    .unique()
    .on('collaborators')
    .column('organization_id')
    .where(sql.ref('role'), '=', 'owner')
    .execute()

  await db.schema
    .createTable('apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('apps_org_slug_unique', ['organization_id', 'slug'])
    .execute()

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('devices_org_serial_unique', ['organization_id', 'serial_number'])
    .execute()
  await db.schema
    // `id` breaks ties in list order (rows enrolled in one instant), so a page is read straight off the index.
    .createIndex('devices_org_enrolled_idx')
    .on('devices')
    .columns(['organization_id', 'enrolled_at', 'id'])
    .execute()

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('canceled_at', 'text')
    .execute()
  await db.schema
    .createIndex('subscriptions_org_status_idx')
    .on('subscriptions')
    .columns(['organization_id', 'status'])
    .execute()

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('audit_events_org_created_idx')
    .on('audit_events')
    .columns(['organization_id', 'created_at', 'id'])
    .execute()

  await db.schema
    .createTable('deletions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('organization_slug', 'text', (c) => c.notNull())
    .addColumn('organization_name', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('counts', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('completed_at', 'text')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retry_at', 'text')
    .execute()
  await db.schema
    .createIndex('deletions_status_idx')
    .on('deletions')
    .columns(['status', 'requested_at'])
    .execute()
  await db.schema
    .createIndex('deletions_requester_idx')
    .on('deletions')
    .columns(['requested_by', 'requested_at'])
    .execute()

  await db.schema
    .createTable('purge_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deletion_id', 'text', (c) => c.notNull().references('deletions.id'))
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addUniqueConstraint('purge_tasks_deletion_table_unique', ['deletion_id', 'table_name'])
    .execute()
  await db.schema.createIndex('purge_tasks_status_idx').on('purge_tasks').column('status').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'purge_tasks',
    'deletions',
    'audit_events',
    'subscriptions',
    'devices',
    'apps',
    'collaborators',
    'tokens',
    'organizations',
    'users',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
