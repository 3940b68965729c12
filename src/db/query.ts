import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import { offsetOf, type PageRequest } from '../core/pagination.js'
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

/** One page of `query`, which orders its rows so that pages never overlap. */
export function onPage<TB extends keyof Database, O>(
  query: SelectQueryBuilder<Database, TB, O>,
  page: PageRequest,
) {
  return query.offset(offsetOf(page)).limit(page.limit)
}

/** Whether `query` finds a row. */
export async function exists<TB extends keyof Database, O>(
  query: SelectQueryBuilder<Database, TB, O>,
): Promise<boolean> {
  return (await query.executeTakeFirst()) !== undefined
}
