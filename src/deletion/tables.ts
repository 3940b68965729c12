import { sql } from 'kysely'
import { resourceNameOf } from '../contract/resources.js'
import { foreignKeys, tablesWithColumn } from '../db/catalog.js'
import type { Db } from '../db/connect.js'

// The purge does not keep its own list of what an organization owns: it asks the database for every table
// with an `organization_id` column (the tenant key of docs/api.md §6). A table added later is purged and verified
// without touching this code. Two exceptions: `deletions`, the lasting receipt, and `object_removals`, the queue
// of objects to remove from storage, which must outlive the rows until the objects are gone (deletion/objects.ts).
const KEPT = new Set(['deletions', 'object_removals'])

/** API names for the receipt's counts (contract/resources.ts); a table it does not name keeps its own. */
export const resourceName = resourceNameOf

/**
 * Every table holding organization data, sorted by name — except that a table comes before the tables it
 * references (builds before apps), so deleting them in this order never breaks a foreign key.
 */
export async function tenantTables(db: Db): Promise<string[]> {
  const [names, references] = await Promise.all([tenantTableNames(db), tenantReferences(db)])
  return referencingFirst(names, references)
}

async function tenantTableNames(db: Db): Promise<string[]> {
  return (await organizationIdTables(db)).filter((name) => !KEPT.has(name))
}

/** Every table with an `organization_id` column, from the catalog, sorted by name: what a certificate re-counts. */
export async function organizationIdTables(db: Db): Promise<string[]> {
  return (await tablesWithColumn(db, 'organization_id')).sort()
}

/**
 * Foreign keys among tenant tables: each table → the tenant tables holding rows that reference it. A referenced
 * table's rows can go only once those are gone (the purge holds its task back until then, see claimTask).
 */
export async function tenantReferences(db: Db): Promise<Map<string, string[]>> {
  const keys = await foreignKeys(db)
  const tenant = new Set(await tenantTableNames(db))
  const references = new Map<string, string[]>()
  for (const { child, parent } of keys) {
    if (child === parent || !tenant.has(child) || !tenant.has(parent)) continue
    references.set(parent, [...new Set([...(references.get(parent) ?? []), child])].sort())
  }
  return references
}

/** Tables in name order, each placed after every table that references it. */
function referencingFirst(names: string[], references: Map<string, string[]>): string[] {
  const placed = new Set<string>()
  const order: string[] = []
  while (order.length < names.length) {
    const next = names.find(
      (name) => !placed.has(name) && (references.get(name) ?? []).every((child) => placed.has(child)),
    )
    // A cycle of foreign keys cannot be ordered: the rest keep name order (and the purge retries what fails).
    const table = next ?? names.find((name) => !placed.has(name)) ?? ''
    placed.add(table)
    order.push(table)
  }
  return order
}

/** Where a purge task's next batch starts: after this key (a tenant table's id, of whatever type it is). */
export type BatchCursor = string | number | null

/** Deletes up to `limit` of the organization's rows from `table` after `after`: how many, and the last key (null: to the end). */
export async function deleteBatch(
  db: Db,
  table: string,
  organizationId: string,
  limit: number,
  after: BatchCursor,
): Promise<{ deleted: number; last: BatchCursor }> {
  const t = sql.table(table)
  // A batch is one range of the primary key, (organization_id, id): on SQLite the table itself (tenant tables are
  // WITHOUT ROWID), on PostgreSQL its key index. It runs from after the last key the batch before deleted (`after`;
  // the first from the organization's first key) to the `limit`-th key from there, found first; when fewer remain,
  // to the end. Deleting the range is then one scan of neighbouring entries, like a DELETE of the whole
  // organization: a list of keys (`id in (…)`) cost a descent of the index per row, and ran at a ninth of that
  // speed on PostgreSQL. The statements name one organization, so on a sharded PostgreSQL they are routed whole
  // to the shard holding it.
  //
  // Starting after the last key matters on PostgreSQL: a deleted row's index entry stays until vacuum, and a batch
  // starting from the organization's first key walked over every entry the batches before it had deleted.
  const onward = after === null ? sql`` : sql`and id > ${after}`
  const { rows } = await sql<{ id: string | number }>`
    select id from ${t} where organization_id = ${organizationId} ${onward}
    order by id limit 1 offset ${limit - 1}`.execute(db)
  const last = rows[0]?.id ?? null
  const upTo = last === null ? sql`` : sql`and id <= ${last}`
  const result =
    await sql`delete from ${t} where organization_id = ${organizationId} ${onward} ${upTo}`.execute(db)
  return { deleted: Number(result.numAffectedRows ?? 0), last }
}

/** The tables that still hold at least one row of the organization. */
export async function tablesStillHolding(db: Db, organizationId: string): Promise<string[]> {
  const remaining: string[] = []
  for (const table of await tenantTables(db)) {
    const row =
      await sql`select 1 as found from ${sql.table(table)} where organization_id = ${organizationId} limit 1`.execute(
        db,
      )
    if (row.rows.length > 0) remaining.push(table)
  }
  return remaining
}

/** How many rows of the organization each table holds, by resource name. */
export async function countOwnedRows(db: Db, organizationId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of await tenantTables(db)) {
    const result = await sql<{
      n: number
    }>`select count(*) as n from ${sql.table(table)} where organization_id = ${organizationId}`.execute(db)
    counts[resourceName(table)] = Number(result.rows[0]?.n ?? 0)
  }
  return counts
}
