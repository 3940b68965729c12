import type pg from 'pg'
import type { PostgresPool, PostgresPoolClient } from 'kysely'

// On PostgreSQL, a statement sent without a name is parsed and planned again at every run: for the lookup every
// request makes, planning cost the server more than running it (0.4–0.7 ms against 0.05 ms). The queries that
// prepared.ts compiles once are also prepared once per connection, under a name: the server parses them once and,
// after a few runs, keeps a generic plan. Only those are named: a named statement lives as long as its
// connection, so the set must stay small and fixed (a query whose text varies, `in (…)` lists say, must not be).

const names = new Map<string, string>()

/** Marks `sql` to be run as a named prepared statement on PostgreSQL. */
export function nameStatement(sql: string): void {
  if (!names.has(sql)) names.set(sql, `orgspace_${names.size + 1}`)
}

/** `pool` as Kysely's dialect sees it, running marked statements under their names. */
export function withNamedStatements(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect()
      return {
        query: ((text: unknown, values?: unknown[]) => {
          const name = typeof text === 'string' ? names.get(text) : undefined
          return name
            ? client.query({ name, text: text as string, values })
            : client.query(text as never, values)
        }) as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      }
    },
    end: () => pool.end(),
  }
}
