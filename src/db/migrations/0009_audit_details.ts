import type { Kysely } from 'kysely'

// What an audit event was about, as a person reads it: the entity's name, serial or email at the time and the
// change made (src/contract/audit.ts, AuditDetails), as JSON text. Events recorded before keep null: the ids they
// name may be gone, and nothing else recorded what they were.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('details', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('details').execute()
}
