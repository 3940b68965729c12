import { CompiledQuery, sql, type Insertable } from 'kysely'
import { isPostgres, type Trx } from './connect.js'
import type { Database } from './types.js'

// Bulk seeding writes millions of rows, so each statement carries thousands of them.
// - SQLite: a multi-row INSERT … VALUES as large as its limit of 32766 bind parameters
//   (SQLITE_MAX_VARIABLE_NUMBER) allows.
// - PostgreSQL: INSERT … SELECT FROM unnest($1::text[], …), one array per column. Against multi-row VALUES
//   at PostgreSQL's 65535-parameter limit it cost the backend about a tenth less CPU (300k devices: 4.3–4.9 s
//   against 4.7–5.4 s), and the seed is bound by the server. It has no parameter limit, so statements are
//   kept at a size where building the next one overlaps the server's work on the current one.
const SQLITE_MAX_PARAMETERS = 32_766
const POSTGRES_ROWS_PER_STATEMENT = 5_000

type Table = keyof Database
type Row<T extends Table> = Insertable<Database[T]>
export type Column<T extends Table> = keyof Row<T> & string

/**
 * Compiling a statement of thousands of placeholders through Kysely costs more than running it, and every
 * full-size statement of a table has the same text, so texts are compiled once and reused. Only full-size
 * ones are kept: remainders vary in size and would grow the cache without bound.
 */
const statements = new Map<string, string>()

function rowsPerStatement(postgres: boolean, columnCount: number): number {
  return postgres ? POSTGRES_ROWS_PER_STATEMENT : Math.floor(SQLITE_MAX_PARAMETERS / columnCount)
}

/** The statement's text; its parameters are one text array per column (PostgreSQL) or the rows' values. */
function statementText(
  trx: Trx,
  postgres: boolean,
  table: Table,
  columns: readonly string[],
  rowCount: number,
  cacheable: boolean,
): string {
  const key = postgres
    ? `pg:${table}(${columns.join(',')})`
    : `sqlite:${table}(${columns.join(',')})x${rowCount}`
  const cached = statements.get(key)
  if (cached !== undefined) return cached
  const into = sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})`
  // Every column bulk seeding writes is text (ids, names, ISO timestamps), so the arrays are text[].
  const query = postgres
    ? sql`${into} select * from unnest(${sql.join(columns.map(() => sql`${null}::text[]`))})`
    : sql`${into} values ${sql.join(
        Array.from({ length: rowCount }, () => sql`(${sql.join(columns.map(() => null))})`),
      )}`
  const compiled = query.compile(trx)
  const expected = postgres ? columns.length : rowCount * columns.length
  if (compiled.parameters.length !== expected)
    throw new Error(
      `bulk insert into ${table}: compiled ${compiled.parameters.length} parameters, not ${expected}`,
    )
  if (postgres || cacheable) statements.set(key, compiled.sql)
  return compiled.sql
}

/**
 * Inserts rows `from` … `to - 1` of a generated sequence (`make(n)` is row n); `columns` fixes the order.
 * Rows are built one statement at a time, and the next statement is built while the current one runs: on
 * PostgreSQL the server and this process then work at the same time instead of taking turns.
 */
export async function insertGenerated<T extends Table>(
  trx: Trx,
  table: T,
  columns: readonly Column<T>[],
  from: number,
  to: number,
  make: (n: number) => Row<T>,
): Promise<void> {
  const postgres = isPostgres(trx)
  const perStatement = rowsPerStatement(postgres, columns.length)
  const build = (start: number) => {
    const count = Math.min(start + perStatement, to) - start
    const text = statementText(trx, postgres, table, columns, count, count === perStatement)
    const rows = Array.from({ length: count }, (_, i) => make(start + i))
    if (postgres)
      return CompiledQuery.raw(
        text,
        columns.map((column) => rows.map((row) => row[column])),
      )
    const parameters = new Array<unknown>(count * columns.length)
    let p = 0
    for (const row of rows) for (const column of columns) parameters[p++] = row[column]
    return CompiledQuery.raw(text, parameters)
  }

  let next = from < to ? build(from) : undefined
  for (let start = from + perStatement; next !== undefined; start += perStatement) {
    const running = trx.executeQuery(next)
    try {
      next = start < to ? build(start) : undefined
    } finally {
      // Also when building failed: the statement in flight must settle before the transaction rolls back.
      await running
    }
  }
}

/** Inserts rows already built, as `insertGenerated` does. */
export function insertRows<T extends Table>(
  trx: Trx,
  table: T,
  columns: readonly Column<T>[],
  rows: readonly Row<T>[],
): Promise<void> {
  return insertGenerated(trx, table, columns, 0, rows.length, (n) => {
    const row = rows[n]
    if (row === undefined) throw new RangeError(`row ${n} of ${rows.length}`)
    return row
  })
}
