import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import type { Database } from './types.js'

// Small query pieces every repository needs the same way.

/** A LIKE operand matching `text` anywhere (compare it with a lower-cased column), the user's wildcards escaped. */
export function containing(text: string): RawBuilder<string> {
  return sql<string>`${`%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`
}

/** COUNT(*) of the rows `query` selects: its joins and filters, without its columns or paging. */
export async function countRows<TB extends keyof Database, O>(
  query: SelectQueryBuilder<Database, TB, O>,
): Promise<number> {
  const row = await query
    .clearSelect()
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
