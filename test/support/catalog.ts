import { sql } from 'kysely'
import type { Db } from '../../src/db/connect.js'
import { dialect } from './app.js'

// What the database itself says about its tables, read from its catalog (sqlite_master and pragmas, or
// pg_catalog) — never from orgspace's own code — for the schema tests.

export interface Key {
  name: string
  columns: string[]
  /** A partial unique index (WHERE …). */
  partial: boolean
}

export interface ForeignKey {
  columns: string[]
  table: string
  references: string[]
}

export interface TableShape {
  primaryKey: string[]
  /** Unique constraints and unique indexes, the primary key's own index excluded. */
  unique: Key[]
  foreignKeys: ForeignKey[]
  /** SQLite only: stored in primary key order, without a rowid. */
  withoutRowid?: boolean
}

/** Every table of the schema, migration bookkeeping excluded, sorted. */
export async function tableNames(db: Db): Promise<string[]> {
  const result =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'
          and name not like 'sqlite\\_%' escape '\\' and name not like 'kysely\\_%' escape '\\'`.execute(db)
      : await sql<{ name: string }>`select c.relname as name from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition
            and c.relname not like 'kysely\\_%'`.execute(db)
  return result.rows.map((r) => r.name).sort()
}

async function sqliteShape(db: Db, table: string): Promise<TableShape> {
  const columns = await sql<{ name: string; pk: number }>`
    select name, pk from pragma_table_info(${table}) where pk > 0 order by pk`.execute(db)
  const indexes = await sql<{ name: string; unique: number; origin: string; partial: number }>`
    select name, "unique", origin, partial from pragma_index_list(${table})`.execute(db)
  const unique: Key[] = []
  for (const index of indexes.rows) {
    if (index.unique !== 1 || index.origin === 'pk') continue
    const info = await sql<{ name: string }>`
      select name from pragma_index_info(${index.name}) order by seqno`.execute(db)
    unique.push({ name: index.name, columns: info.rows.map((r) => r.name), partial: index.partial === 1 })
  }
  const references = await sql<{ id: number; table: string; from: string; to: string | null }>`
    select id, "table", "from", "to" from pragma_foreign_key_list(${table}) order by id, seq`.execute(db)
  const foreignKeys = new Map<number, ForeignKey>()
  for (const r of references.rows) {
    const key = foreignKeys.get(r.id) ?? { columns: [], table: r.table, references: [] }
    key.columns.push(r.from)
    key.references.push(r.to ?? '(primary key)')
    foreignKeys.set(r.id, key)
  }
  const list = await sql<{ wr: number }>`select wr from pragma_table_list where name = ${table}`.execute(db)
  return {
    primaryKey: columns.rows.map((r) => r.name),
    unique,
    foreignKeys: [...foreignKeys.values()],
    withoutRowid: list.rows[0]?.wr === 1,
  }
}

async function postgresShape(db: Db, table: string): Promise<TableShape> {
  const indexes = await sql<{
    name: string
    primary: boolean
    unique: boolean
    partial: boolean
    columns: string[]
  }>`
    select ic.relname as name, i.indisprimary as primary, i.indisunique as unique, i.indpred is not null as partial,
      array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
            join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
            order by k.n) as columns
    from pg_catalog.pg_index i
    join pg_catalog.pg_class ic on ic.oid = i.indexrelid
    join pg_catalog.pg_class t on t.oid = i.indrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and t.relname = ${table}`.execute(db)
  const constraints = await sql<{ table: string; columns: string[]; references: string[] }>`
    select f.relname as table,
      array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, n)
            join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.n) as columns,
      array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, n)
            join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.n) as references
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_class t on t.oid = c.conrelid
    join pg_catalog.pg_class f on f.oid = c.confrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    where c.contype = 'f' and n.nspname = current_schema() and t.relname = ${table}
    order by c.conname`.execute(db)
  const primary = indexes.rows.find((i) => i.primary)
  return {
    primaryKey: primary?.columns ?? [],
    unique: indexes.rows
      .filter((i) => i.unique && !i.primary)
      .map((i) => ({ name: i.name, columns: i.columns, partial: i.partial })),
    foreignKeys: constraints.rows,
  }
}

/** The keys of `table` as the catalog has them. */
export function tableShape(db: Db, table: string): Promise<TableShape> {
  return dialect === 'sqlite' ? sqliteShape(db, table) : postgresShape(db, table)
}

/** Every row of `table`, each as JSON with sorted keys, sorted: two snapshots compare regardless of order. */
export async function tableRows(db: Db, table: string): Promise<string[]> {
  const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)
  return result.rows
    .map((row) =>
      JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)))),
    )
    .sort()
}
