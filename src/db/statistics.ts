import { sql } from 'kysely'
import { isPostgres, type Db } from './connect.js'

/**
 * Has PostgreSQL take statistics of tables a bulk write has just filled (a seed, an import), so that the next
 * statements on them are planned for what they hold rather than for an empty table: until autovacuum comes by,
 * a table never analyzed has `reltuples = -1` and is planned as a few hundred rows. SQLite plans tenant tables
 * by their key (they are WITHOUT ROWID, keyed by organization first), which needs no statistics.
 */
export async function analyzeTables(db: Db, tables: readonly string[]): Promise<void> {
  if (!isPostgres(db) || tables.length === 0) return
  await sql`analyze ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db)
}
