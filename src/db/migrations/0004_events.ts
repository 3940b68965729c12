import { sql, SqliteAdapter, type Kysely } from 'kysely'

// Events, webhooks and mail (docs/api.md §9). Frozen in time: takes Kysely<any>, imports no application types.
//
// Which rows are an organization's data, and which outlive it:
// - `webhook_endpoints` and `webhook_deliveries` are tenant tables (`organization_id`, primary key
//   (organization_id, id)): the purge finds and empties them like any other.
// - `events` is the outbox: one row per change, written in the change's transaction and deleted once a worker
//   has fanned it out into deliveries. It names the organization in `source_organization_id`, deliberately not
//   `organization_id`: `organization.deleted` and `organization.deletion.completed` must survive the purge
//   until they are dispatched, and the purge's final check must not see them.
// - `instance_deliveries` (the WEBHOOK_URL endpoint and email) outlive the organization until sent or expired.
// - `deletion_notices` keeps who is told about a deletion, since the collaborators are purged before it completes.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // Tenant tables are stored in key order on SQLite, as 0006 makes the older ones (see there).
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source_organization_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('events_created_idx').on('events').columns(['created_at', 'id']).execute()
  await db.schema.createIndex('events_source_idx').on('events').column('source_organization_id').execute()

  await db.schema
    .createTable('deletion_notices')
    .addColumn('deletion_id', 'text', (c) => c.primaryKey().references('deletions.id'))
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_endpoints_pk', ['organization_id', 'id'])
    .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('response_status', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('error', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['organization_id', 'id'])
    .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_endpoint_idx')
    .on('webhook_deliveries')
    .columns(['organization_id', 'endpoint_id', 'created_at', 'id'])
    .execute()
  // Only pending deliveries are ever looked up by due time or by organization: the log of finished ones stays
  // out of both indexes.
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_org_pending_idx')
    .on('webhook_deliveries')
    .column('organization_id')
    .where(sql.ref('status'), '=', 'pending')
    .execute()

  await db.schema
    .createTable('instance_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('response_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('instance_deliveries_due_idx')
    .on('instance_deliveries')
    .columns(['channel', 'next_attempt_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'instance_deliveries',
    'webhook_deliveries',
    'webhook_endpoints',
    'deletion_notices',
    'events',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
