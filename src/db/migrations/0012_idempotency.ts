import type { Kysely } from 'kysely'

// Answers kept for Idempotency-Key retries (docs/api.md §14), one row per (caller, key). An answer that belongs to
// an organization holds its data, so the row carries `organization_id` and is purged with it; an answer of no
// organization (a user's own tokens, an organization's own deletion) keeps null there. Like `tokens`, the row is
// found by something other than its organization — here (caller, key) — so its key is `id` alone, with the
// organization's rows reachable in key order through (organization_id, id) for the purge's batches.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** `user:<id>` or `app-token:<id>`: whose key it is. */
    .addColumn('caller', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // No foreign key, as on `tokens`: a reference table of a sharded PostgreSQL may not point at a distributed one.
    .addColumn('organization_id', 'text')
    /** SHA-256 of the method, route and path parameters. */
    .addColumn('target_sha256', 'text', (c) => c.notNull())
    /** SHA-256 of the body; null until an upload's body has been read whole. */
    .addColumn('body_sha256', 'text')
    /** The kept answer; both null while the first request runs. */
    .addColumn('status', 'integer')
    .addColumn('body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    /** A running claim's lease, or a kept answer's end: past it, the key is free again. */
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('idempotency_keys_caller_key', ['caller', 'idempotency_key'])
    .execute()
  await db.schema
    .createIndex('idempotency_keys_organization_idx')
    .on('idempotency_keys')
    .columns(['organization_id', 'id'])
    .execute()
  await db.schema
    .createIndex('idempotency_keys_expires_idx')
    .on('idempotency_keys')
    .column('expires_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
}
