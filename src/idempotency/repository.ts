import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/connect.js'
import type { IdempotencyKeysTable } from '../db/types.js'
import { liveOrganizationShared } from '../organizations/repository.js'

export type KeyRow = Selectable<IdempotencyKeysTable>

/** Claims (caller, key) with `row`: false when a row for them already exists. */
export async function insertClaim(db: Db, row: Insertable<IdempotencyKeysTable>): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['caller', 'idempotency_key']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export function findKey(db: Db, caller: string, key: string): Promise<KeyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('caller', '=', caller)
    .where('idempotency_key', '=', key)
    .executeTakeFirst()
}

/** Removes the row `id` if it expired by `now`: whoever removes it may claim the key again. */
export async function deleteIfExpired(db: Db, id: string, now: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).where('expires_at', '<=', now).execute()
}

export async function deleteClaim(db: Db, id: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).execute()
}

export interface KeptAnswer {
  organizationId: string | null
  bodySha256: string
  status: number
  body: string
  expiresAt: string
}

/**
 * Keeps the answer on the claim `id`, in one statement that writes only while the answer's organization is live
 * and holds it against its deletion: false when it was not (or the claim is gone).
 */
export async function keepAnswer(db: Db, id: string, answer: KeptAnswer): Promise<boolean> {
  const { organizationId } = answer
  const update = db
    .updateTable('idempotency_keys')
    .set({
      organization_id: organizationId,
      body_sha256: answer.bodySha256,
      status: answer.status,
      body: answer.body,
      expires_at: answer.expiresAt,
    })
    .where('id', '=', id)
  const result = await (
    organizationId === null
      ? update
      : update.where(({ exists }) => exists(liveOrganizationShared(db, organizationId)))
  ).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Removes up to `limit` rows expired by `now`: how many. */
export async function deleteExpired(db: Db, now: string, limit: number): Promise<number> {
  // Read first: this runs at every idle poll, and a DELETE that matches nothing still takes SQLite's write lock.
  const expired = await db
    .selectFrom('idempotency_keys')
    .select('id')
    .where('expires_at', '<=', now)
    .limit(limit)
    .execute()
  if (expired.length === 0) return 0
  const result = await db
    .deleteFrom('idempotency_keys')
    .where(
      'id',
      'in',
      expired.map((row) => row.id),
    )
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
