import { CompiledQuery, sql, type Insertable } from 'kysely'
import { isPostgres, type Trx } from '../db/connect.js'
import type { Database } from '../db/types.js'

// Bulk seeding writes millions of rows, so it sends multi-row INSERTs as large as each dialect allows: one
// statement may carry at most 32766 bind parameters on SQLite (SQLITE_MAX_VARIABLE_NUMBER) and 65535 on
// PostgreSQL (the protocol counts them in 16 bits).
const MAX_PARAMETERS = { sqlite: 32_766, postgres: 65_535 } as const

type Table = keyof Database
type Row<T extends Table> = Insertable<Database[T]>
export type Column<T extends Table> = keyof Row<T> & string

/**
 * Compiling a statement of thousands of rows through Kysely costs far more than running it, and every full
 * chunk of a table has the same text, so each full-size statement is compiled once and then reused with new
 * parameters. Only full chunks are kept: remainders vary in size and would grow the cache without bound.
 */
const statements = new Map<string, string>()

/** How many rows of `columnCount` columns one INSERT can carry on this connection's dialect. */
export function rowsPerStatement(trx: Trx, columnCount: number): number {
  return Math.floor(MAX_PARAMETERS[isPostgres(trx) ? 'postgres' : 'sqlite'] / columnCount)
}

function statementText<T extends Table>(
  trx: Trx,
  table: T,
  columns: readonly Column<T>[],
  rowCount: number,
  cacheable: boolean,
): string {
  const key = `${isPostgres(trx) ? 'pg' : 'sqlite'}:${table}(${columns.join(',')})x${rowCount}`
  const cached = statements.get(key)
  if (cached !== undefined) return cached
  // Placeholders only: the values travel as parameters, in row-major order, which is the order built here.
  const placeholderRow = sql`(${sql.join(columns.map(() => null))})`
  const compiled =
    sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(
      Array.from({ length: rowCount }, () => placeholderRow),
    )}`.compile(trx)
  if (compiled.parameters.length !== rowCount * columns.length)
    throw new Error(`bulk insert into ${table}: expected ${rowCount * columns.length} parameters`)
  if (cacheable) statements.set(key, compiled.sql)
  return compiled.sql
}

/** Inserts `rows` with as few statements as the dialect's parameter limit allows; `columns` fixes the order. */
export async function insertRows<T extends Table>(
  trx: Trx,
  table: T,
  columns: readonly Column<T>[],
  rows: readonly Row<T>[],
): Promise<void> {
  const perStatement = rowsPerStatement(trx, columns.length)
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement)
    const text = statementText(trx, table, columns, chunk.length, chunk.length === perStatement)
    const parameters: unknown[] = new Array(chunk.length * columns.length)
    let p = 0
    for (const row of chunk) for (const column of columns) parameters[p++] = row[column]
    await trx.executeQuery(CompiledQuery.raw(text, parameters))
  }
}
