import { jsonArrayFrom as pgJsonArrayFrom } from 'kysely/helpers/postgres'
import { jsonArrayFrom as sqliteJsonArrayFrom } from 'kysely/helpers/sqlite'
import type { SelectQueryBuilder } from 'kysely'
import { isPostgres, type Db } from './connect.js'

// Every difference between the two databases that code outside src/db needs is a capability of one object,
// chosen from the connection (as Kysely's dialect adapters are): modules ask what the database can do, never
// which database it is.

export interface Dialect {
  /**
   * Whether writers exclude one another for the whole transaction (SQLite: BEGIN IMMEDIATE takes the one write
   * lock), rather than only on the rows they lock (PostgreSQL). Under a single writer a transaction's first read
   * is already exact and row locks are unnecessary; a long transaction makes every other writer wait.
   */
  readonly singleWriter: boolean
  /** Kysely's `jsonArrayFrom` for this database. */
  readonly jsonArrayFrom: typeof sqliteJsonArrayFrom
  /** How purged rows are erased (docs/erasure.md), as a deletion certificate names it. */
  readonly erasure: 'sqlite-secure-delete' | 'postgresql-vacuum'
}

const SQLITE: Dialect = {
  singleWriter: true,
  jsonArrayFrom: sqliteJsonArrayFrom,
  erasure: 'sqlite-secure-delete',
}
const POSTGRES: Dialect = {
  singleWriter: false,
  jsonArrayFrom: pgJsonArrayFrom,
  erasure: 'postgresql-vacuum',
}

export function dialectOf(db: Db): Dialect {
  return isPostgres(db) ? POSTGRES : SQLITE
}

export interface RowLock {
  /** `noKeyUpdate` lets others insert rows that reference the locked one (FOR NO KEY UPDATE). */
  mode: 'update' | 'noKeyUpdate'
  /** Lock only these tables' rows of a join. */
  of?: readonly string[]
  /** Leave rows another transaction holds to it (a leased queue's claim). */
  skipLocked?: boolean
}

/**
 * `query.$call(lockRows(trx, …))`: the selected rows are locked until the transaction ends. Nothing to do under a
 * single writer, whose transaction already excludes every other writer.
 */
export function lockRows(db: Db, lock: RowLock) {
  const apply = !dialectOf(db).singleWriter
  return <DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O> => {
    if (!apply) return query
    const of = lock.of as never
    const locked = lock.mode === 'update' ? query.forUpdate(of) : query.forNoKeyUpdate(of)
    return lock.skipLocked ? locked.skipLocked() : locked
  }
}
