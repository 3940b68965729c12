import type { Compilable, CompiledQuery } from 'kysely'
import { isPostgres, type Db } from './connect.js'
import { nameStatement } from './named-statements.js'

// Kysely builds and compiles a query's SQL on every call: for the few statements every request runs, that costs
// more than running them (SQLite answers in microseconds). A prepared query is built and compiled once per
// dialect and then run with new values; the driver then finds its compiled statement by the unchanged text
// (better-sqlite3's statement cache in connect.ts; on PostgreSQL a named statement, named-statements.ts).

const SLOT = '\u0000orgspace-slot:'

interface Compiled {
  query: CompiledQuery
  /** For each parameter: the argument that fills it, or undefined for a constant of the query itself. */
  fill: Array<string | undefined>
}

/**
 * `build` receives stand-ins for the arguments (`slot.name`) and returns the query; it runs once per dialect,
 * so it must not branch on the arguments' values. Every stand-in must end up as a parameter of the SQL.
 */
export function prepare<Args extends Record<string, unknown>, Row>(
  names: ReadonlyArray<keyof Args & string>,
  build: (db: Db, slot: Args) => Compilable<Row>,
) {
  const byDialect = new Map<string, Compiled>()
  const compile = (db: Db): Compiled => {
    const dialect = isPostgres(db) ? 'postgres' : 'sqlite'
    const known = byDialect.get(dialect)
    if (known) return known
    const slot = Object.fromEntries(names.map((name) => [name, `${SLOT}${name}`])) as Args
    const query = build(db, slot).compile()
    const fill = query.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(SLOT) ? value.slice(SLOT.length) : undefined,
    )
    for (const name of names)
      if (!fill.includes(name)) throw new Error(`prepared query: argument ${name} is not a parameter`)
    // PostgreSQL prepares it once per connection too (named-statements.ts); SQLite's statement cache does that.
    if (dialect === 'postgres') nameStatement(query.sql)
    const compiled = { query, fill }
    byDialect.set(dialect, compiled)
    return compiled
  }
  return async (db: Db, args: Args): Promise<Row[]> => {
    const { query, fill } = compile(db)
    const parameters = fill.map((name, i) => (name === undefined ? query.parameters[i] : args[name]))
    const result = await db.executeQuery<Row>({ ...query, parameters } as CompiledQuery<Row>)
    return result.rows
  }
}
