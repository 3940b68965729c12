import { sql } from 'kysely'
import { isPostgres, type Db, type Trx } from './connect.js'

/** Where the next batch of a tenant's rows starts: after this key (a tenant table's id, of whatever type it is). */
export type KeyCursor = string | number | null

export interface KeyBatch {
  deleted: number
  /** The batch's last key, or null when the batch ran to the organization's last row. */
  last: KeyCursor
}

/**
 * Deletes up to `limit` of one organization's rows from `table`, in the order of its primary key
 * (organization_id, id), from after `after` (null: from the organization's first key). Call it in a transaction.
 *
 * A batch is one range of the key: on SQLite the table itself (tenant tables are WITHOUT ROWID), on PostgreSQL its
 * key index. Its end is found first, as the `limit`-th key from `after` (when fewer remain, it runs to the end);
 * deleting the range is then one scan of neighbouring entries, like a DELETE of the whole organization: a list of
 * keys (`id in (…)`) cost a descent of the index per row, and ran at a ninth of that speed on PostgreSQL. A
 * delete by physical row address (`ctid`) in one statement is not used: on a partitioned table a `ctid` names a
 * row in every partition. The statements name one organization, so on a sharded PostgreSQL they are routed whole
 * to the shard holding it.
 *
 * Starting after the last key matters on PostgreSQL: a deleted row's index entry stays until vacuum, and a batch
 * starting from the organization's first key walked over every entry the batches before it had deleted.
 */
export async function deleteKeyBatch(
  trx: Trx,
  table: string,
  organizationId: string,
  limit: number,
  after: KeyCursor,
): Promise<KeyBatch> {
  await followKeyOrder(trx)
  const t = sql.table(table)
  const { rows } = await batchEnd(table, organizationId, limit, after).execute(trx)
  const last = rows[0]?.id ?? null
  const upTo = last === null ? sql`` : sql`and id <= ${last}`
  const result =
    await sql`delete from ${t} where organization_id = ${organizationId} ${onward(after)} ${upTo}`.execute(
      trx,
    )
  return { deleted: Number(result.numAffectedRows ?? 0), last }
}

const onward = (after: KeyCursor) => (after === null ? sql`` : sql`and id > ${after}`)

function batchEnd(table: string, organizationId: string, limit: number, after: KeyCursor) {
  return sql<{ id: string | number }>`
    select id from ${sql.table(table)} where organization_id = ${organizationId} ${onward(after)}
    order by organization_id, id limit 1 offset ${limit - 1}`
}

/**
 * On PostgreSQL, makes the key's own order the only plan for the batch's end, whatever the statistics say. The
 * planner's choice failed exactly when a purge is largest: a table filled moments before (a first import, a seed,
 * a load test) has no statistics (`reltuples = -1`), the planner then takes the organization for a few hundred
 * rows, and it read them through a bitmap of another index and sorted every remaining row of the organization,
 * in every batch: 27 times slower (BENCHMARKS.md, the statistics cliff). With sorting off for the transaction, the
 * ORDER BY can only be met by walking the key, which stops at the `limit`-th entry; nothing else in a purge
 * transaction sorts. SQLite walks the key of a WITHOUT ROWID table whatever it knows.
 */
async function followKeyOrder(trx: Trx): Promise<void> {
  if (isPostgres(trx)) await sql`set local enable_sort = off`.execute(trx)
}

/**
 * The plan PostgreSQL makes for the end of a batch of `deleteKeyBatch`, as `EXPLAIN (FORMAT JSON)` gives it,
 * without running anything: what an operator (or a test) checks when a purge is slow. Null on SQLite.
 */
export async function explainKeyBatch(
  db: Db,
  table: string,
  organizationId: string,
  limit: number,
  after: KeyCursor,
): Promise<unknown> {
  if (!isPostgres(db)) return null
  return db.transaction().execute(async (trx) => {
    await followKeyOrder(trx)
    const end = batchEnd(table, organizationId, limit, after)
    const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${end}`.execute(trx)
    return rows[0]?.['QUERY PLAN'] ?? null
  })
}
