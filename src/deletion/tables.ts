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

/**
 * The tables that still hold at least one row of the organization: one statement for all of them, because the
 * purge's completion runs it after every table is already empty, and a round trip per table was most of its cost.
 */
export async function tablesStillHolding(db: Db, organizationId: string): Promise<string[]> {
  const tables = await tenantTables(db)
  if (tables.length === 0) return []
  const probes = tables.map(
    (table, i) =>
      sql`select ${sql.lit(i)} as i where exists (select 1 from ${sql.table(table)} where organization_id = ${organizationId})`,
  )
  const { rows } = await sql<{ i: number }>`${sql.join(probes, sql` union all `)}`.execute(db)
  const holding = new Set(rows.map((row) => Number(row.i)))
  return tables.filter((_, i) => holding.has(i))
}

/** How many rows of the organization each tenant table holds: one statement for every table. */
export async function countRowsByTable(db: Db, organizationId: string): Promise<Map<string, number>> {
  const tables = await tenantTables(db)
  if (tables.length === 0) return new Map()
  const columns = tables.map(
    (table, i) =>
      sql`(select count(*) from ${sql.table(table)} where organization_id = ${organizationId}) as ${sql.ref(`n${i}`)}`,
  )
  const { rows } = await sql<Record<string, number | string>>`select ${sql.join(columns)}`.execute(db)
  const row = rows[0] ?? {}
  return new Map(tables.map((table, i) => [table, Number(row[`n${i}`] ?? 0)]))
}

/** `countRowsByTable` by resource name (a resource may span tables). */
export function byResource(rowsByTable: Map<string, number>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const [table, n] of rowsByTable) {
    const name = resourceName(table)
    counts[name] = (counts[name] ?? 0) + n
  }
  return counts
}

/** How many rows of the organization each table holds, by resource name. */
export async function countOwnedRows(db: Db, organizationId: string): Promise<Record<string, number>> {
  return byResource(await countRowsByTable(db, organizationId))
}
