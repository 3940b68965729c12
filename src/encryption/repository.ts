import { sql } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { OrganizationDataKeysTable } from '../db/types.js'

// The organization_data_keys table: one wrapped data key per organization (migration 0011).

export type DataKeyRow = OrganizationDataKeysTable

export async function findDataKey(db: Db | Trx, organizationId: string): Promise<DataKeyRow | undefined> {
  return db
    .selectFrom('organization_data_keys')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
}

/**
 * Stores a new key for an organization that is live and has none; a concurrent first use keeps whichever committed
 * first (the caller reads the row back). Nothing is stored for an organization being deleted, whose key the purge
 * may already have destroyed.
 */
export async function insertDataKeyIfLive(db: Db | Trx, row: DataKeyRow): Promise<void> {
  await db
    .insertInto('organization_data_keys')
    .columns(['organization_id', 'id', 'wrapped_key', 'master_key_id', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('organizations')
        .select([
          'organizations.id',
          sql<string>`cast(${row.id} as text)`.as('id'),
          sql<string>`cast(${row.wrapped_key} as text)`.as('wrapped_key'),
          sql<string>`cast(${row.master_key_id} as text)`.as('master_key_id'),
          sql<string>`cast(${row.created_at} as text)`.as('created_at'),
        ])
        .where('organizations.id', '=', row.organization_id)
        .where('organizations.deleted_at', 'is', null),
    )
    .onConflict((oc) => oc.column('organization_id').doNothing())
    .execute()
}

/**
 * Crypto-erasure: the organization's data key goes, and the deletion records when (once). Idempotent, so a purge
 * resumed after a crash does it again harmlessly.
 */
export async function destroyDataKey(
  trx: Trx,
  organizationId: string,
  deletionId: string,
  now: string,
): Promise<void> {
  const deleted = await trx
    .deleteFrom('organization_data_keys')
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  // Counted in the table's purge task, as if that task had deleted it: the receipt says the same whichever came first.
  const rows = Number(deleted.numDeletedRows)
  if (rows > 0)
    await trx
      .updateTable('purge_tasks')
      .set((eb) => ({ deleted: eb('deleted', '+', rows) }))
      .where('id', '=', `${deletionId}:organization_data_keys`)
      .execute()
  await trx
    .updateTable('deletions')
    .set({ data_key_destroyed_at: now })
    .where('id', '=', deletionId)
    .where('data_key_destroyed_at', 'is', null)
    .execute()
}

/** Up to `limit` keys wrapped by another master key than `masterKeyId`, in organization order after `after`. */
export async function keysNotWrappedBy(
  db: Db,
  masterKeyId: string,
  after: string,
  limit: number,
): Promise<DataKeyRow[]> {
  return db
    .selectFrom('organization_data_keys')
    .selectAll()
    .where('master_key_id', '!=', masterKeyId)
    .where('organization_id', '>', after)
    .orderBy('organization_id')
    .limit(limit)
    .execute()
}

export async function countKeysNotWrappedBy(db: Db, masterKeyId: string): Promise<number> {
  const row = await db
    .selectFrom('organization_data_keys')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('master_key_id', '!=', masterKeyId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Replaces a wrapping, unless the row changed meanwhile (then the next pass sees it again). */
export async function rewrapDataKey(trx: Trx, before: DataKeyRow, wrappedKey: string, masterKeyId: string) {
  await trx
    .updateTable('organization_data_keys')
    .set({ wrapped_key: wrappedKey, master_key_id: masterKeyId })
    .where('organization_id', '=', before.organization_id)
    .where('wrapped_key', '=', before.wrapped_key)
    .execute()
}
