import { sql } from 'kysely'
import { isPostgres, type Db, type Trx } from './connect.js'
import { dialectOf } from './dialect.js'

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
  ahead?: BatchEndsAhead,
): Promise<KeyBatch> {
  await followKeyOrder(trx)
  const t = sql.table(table)
  // A batch whose end was looked up ahead is as long as it was then (the caller's size may have moved since).
  const found = await ahead?.take(after)
  const last = found !== undefined ? found : await findBatchEnd(trx, table, organizationId, limit, after)
  if (last !== null) ahead?.lookUp(last, limit)
  const upTo = last === null ? sql`` : sql`and id <= ${last}`
  const result =
    await sql`delete from ${t} where organization_id = ${organizationId} ${onward(after)} ${upTo}`.execute(
      trx,
    )
  return { deleted: Number(result.numAffectedRows ?? 0), last }
}

/**
 * The end of a task's next batch, looked up on another connection while the current batch is deleted. Finding a
 * batch's end walks as many keys as deleting the batch does; where readers run beside a writer's transaction
 * (PostgreSQL), the two walks overlap instead of taking turns. Nothing is written into a deleted organization, so
 * the keys after the current batch are the same before and after it commits. A lookup that fails is done again
 * in the transaction.
 */
export class BatchEndsAhead {
  private ahead: { after: KeyCursor; end: Promise<KeyCursor | undefined> } | undefined

  private constructor(
    private readonly db: Db,
    private readonly table: string,
    private readonly organizationId: string,
  ) {}

  /** None under a single writer: its one connection (and thread) has nothing to overlap with. */
  static open(db: Db, table: string, organizationId: string): BatchEndsAhead | undefined {
    return dialectOf(db).singleWriter ? undefined : new BatchEndsAhead(db, table, organizationId)
  }

  /** The end looked up for a batch after `after`, if that is the lookup in flight; undefined otherwise. */
  take(after: KeyCursor): Promise<KeyCursor | undefined> {
    const ahead = this.ahead
    this.ahead = undefined
    return ahead && ahead.after === after ? ahead.end : Promise.resolve(undefined)
  }

  lookUp(after: KeyCursor, limit: number): void {
    const end = this.db
      .transaction()
      .execute((trx) => findBatchEnd(trx, this.table, this.organizationId, limit, after))
      .catch(() => undefined)
    this.ahead = { after, end }
  }
}

async function findBatchEnd(
  trx: Trx,
  table: string,
  organizationId: string,
  limit: number,
  after: KeyCursor,
): Promise<KeyCursor> {
  await followKeyOrder(trx)
  const { rows } = await batchEnd(table, organizationId, limit, after).execute(trx)
  return rows[0]?.id ?? null
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
