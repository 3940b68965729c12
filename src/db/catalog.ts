import { sql } from 'kysely'
import { isPostgres, type Db } from './connect.js'

// What the schema holds, read from each database's own catalog.

/** Every table with a column of this name, unsorted. */
export async function tablesWithColumn(db: Db, column: string): Promise<string[]> {
  const result = isPostgres(db)
    ? // pg_catalog rather than information_schema: the latter's privilege checks make it slow, and DELETE asks.
      // A partitioned table is one table here; its partitions are reached through it.
      await sql<{ name: string }>`
        select c.relname as name from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where a.attname = ${column} and not a.attisdropped and n.nspname = current_schema()
          and c.relkind in ('r', 'p') and not c.relispartition`.execute(db)
    : await sql<{ name: string }>`
        select m.name as name from sqlite_master m join pragma_table_info(m.name) p
        where m.type = 'table' and p.name = ${column}`.execute(db)
  return result.rows.map((r) => r.name)
}

/** Every foreign key as (referencing table, referenced table). */
export async function foreignKeys(db: Db): Promise<Array<{ child: string; parent: string }>> {
  const result = isPostgres(db)
    ? await sql<{ child: string; parent: string }>`
        select child.relname as child, parent.relname as parent from pg_catalog.pg_constraint k
        join pg_catalog.pg_class child on child.oid = k.conrelid
        join pg_catalog.pg_class parent on parent.oid = k.confrelid
        join pg_catalog.pg_namespace n on n.oid = child.relnamespace
        where k.contype = 'f' and n.nspname = current_schema()`.execute(db)
    : await sql<{ child: string; parent: string }>`
        select m.name as child, f."table" as parent from sqlite_master m join pragma_foreign_key_list(m.name) f
        where m.type = 'table'`.execute(db)
  return result.rows
}
