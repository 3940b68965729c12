import type { ExpressionBuilder, Kysely, Selectable, SelectQueryBuilder } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { lockRows } from '../db/dialect.js'
import type { Database } from '../db/types.js'

// The one leased queue (graphile-worker's shape): a table whose rows are work, claimed by one process at a time
// for a while. A claim marks rows with their owner and the end of their lease; if the owner dies, the rows become
// claimable again once the lease runs out. Renewing, releasing and finishing act only while the caller is still
// the owner, so a worker that stalled past its lease cannot undo the work of the one that took over. Each queue
// names its own columns; what differs between queues (a filter, a join, an order) is the caller's query.

type Table = keyof Database
type Column<T extends Table> = keyof Database[T] & string
type Row<T extends Table> = Selectable<Database[T]>

export interface QueueDefinition<T extends Table, K extends Column<T>> {
  table: T
  /** The primary key. */
  key: readonly K[]
  /** Who holds the lease (null when nobody does). */
  owner: Column<T>
  /** When the lease runs out. */
  leaseEnd: Column<T>
  /**
   * When the row is next due, if it has a column of its own; otherwise `leaseEnd` says it too (a released row is
   * given back with its lease ending at its retry time).
   */
  due?: Column<T>
  /** Whether a row whose `leaseEnd` is null is due (when it doubles as the due time). */
  nullIsDue?: boolean
  /**
   * Attempts made: counted when a row is claimed (the count then also names the claim, so an owner that lost and
   * re-won a row cannot act on the older claim), or when a claim is released with a failure.
   */
  attempts?: { column: Column<T>; counted: 'claim' | 'failure' }
  /** Where a failure's message is kept. */
  error?: Column<T>
  /** The order rows are claimed in unless the caller's query orders them. */
  order: readonly Column<T>[]
}

/** A claimed row as the caller holds it: its key (and its attempts, when they name the claim). */
export type Claimed<T extends Table, K extends Column<T>> = Readonly<Record<K, unknown>> &
  Partial<Readonly<Record<Column<T>, unknown>>>

export interface ClaimOptions<T extends Table> extends Settle<T> {
  owner: string
  now: string
  leaseUntil: string
  limit: number
  /** Look for a due row outside a transaction first: an idle poll is then a read, not SQLite's write lock. */
  peek?: boolean
}

export interface Settle<T extends Table> {
  /** Other columns written in the same statement (progress, an outcome). */
  set?: Partial<Record<Column<T>, unknown>>
}

// The queries below are built over the column names a definition gives, which Kysely cannot check; they are typed
// by the definition instead, and this is the one place they are seen untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = Kysely<any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type UntypedSelect = SelectQueryBuilder<any, any, any>
const untyped = (db: Db): Untyped => db as unknown as Untyped

export class LeasedQueue<T extends Table, K extends Column<T>> {
  /** The table's name as the untyped queries take it. */
  private readonly table: string

  constructor(readonly definition: QueueDefinition<T, K>) {
    this.table = definition.table
  }

  /**
   * Claims up to `limit` rows that are due and not leased (or whose lease ran out) for `owner` until `leaseUntil`,
   * and answers them as `query` selects them, with their lease (and attempts) as the claim left them. `query`
   * narrows and joins the queue's table (selected from by its name, which its conditions must use) and chooses
   * what each claimed row carries, its key included. On PostgreSQL, SKIP LOCKED lets several processes claim
   * different rows at once; on SQLite the claim's transaction is the one writer.
   */
  async claim<DB, TB extends keyof DB, O>(
    db: Db,
    options: ClaimOptions<T>,
    query: (from: SelectQueryBuilder<Database, T, object>) => SelectQueryBuilder<DB, TB, O>,
  ): Promise<O[]> {
    const { owner, now, leaseUntil, limit } = options
    const def = this.definition
    const due = (from: Db) => this.due(query(from.selectFrom(def.table) as never) as UntypedSelect, now)
    if (options.peek !== false && (await due(db).limit(1).executeTakeFirst()) === undefined) return []
    return db.transaction().execute(async (trx) => {
      const rows = (await this.ordered(due(trx))
        .limit(limit)
        .$call(lockRows(trx, { mode: 'update', of: [def.table], skipLocked: true }))
        .execute()) as (O & Record<string, unknown>)[]
      if (rows.length === 0) return []
      const counted: string | undefined = def.attempts?.counted === 'claim' ? def.attempts.column : undefined
      await untyped(trx)
        .updateTable(this.table)
        .set((eb) => ({
          ...options.set,
          [def.owner]: owner,
          [def.leaseEnd]: leaseUntil,
          ...(counted ? { [counted]: eb(counted, '+', 1) } : {}),
        }))
        .where((eb) => this.keyIn(eb, rows))
        .execute()
      return rows.map((row) => {
        const claimed: Record<string, unknown> = { ...row }
        if (def.owner in row) claimed[def.owner] = owner
        if (def.leaseEnd in row) claimed[def.leaseEnd] = leaseUntil
        if (counted && counted in row) claimed[counted] = Number(row[counted]) + 1
        return claimed as O
      })
    })
  }

  /** Extends the lease (writing `set` with it); false when the lease was lost to another owner. */
  async renew(
    db: Db,
    row: Claimed<T, K>,
    owner: string,
    leaseUntil: string,
    settle: Settle<T> = {},
  ): Promise<boolean> {
    return this.update(db, row, owner, { ...settle.set, [this.definition.leaseEnd]: leaseUntil })
  }

  /**
   * Gives the row back, due again at `retryAt` (now: null, where a null due time means due). With `failure`, the
   * attempt counts as failed: its message is kept, and the attempts counted if they are counted on failure.
   */
  async release(
    db: Db,
    row: Claimed<T, K>,
    owner: string,
    retryAt: string | null,
    settle: Settle<T> & { failure?: string } = {},
  ): Promise<boolean> {
    const def = this.definition
    const failed = settle.failure !== undefined
    const attempts = def.attempts?.counted === 'failure' && failed ? def.attempts.column : undefined
    return this.update(
      db,
      row,
      owner,
      {
        ...settle.set,
        [def.owner]: null,
        ...(def.due ? { [def.leaseEnd]: null, [def.due]: retryAt } : { [def.leaseEnd]: retryAt }),
        ...(failed && def.error ? { [def.error]: settle.failure } : {}),
      },
      attempts,
    )
  }

  /**
   * The row's work is done: it goes, or with `set` it stays as written there (a log row) with no lease. False
   * when the lease was lost to another owner.
   */
  async finish(db: Db, row: Claimed<T, K>, owner: string, settle: Settle<T> = {}): Promise<boolean> {
    const def = this.definition
    if (settle.set)
      return this.update(db, row, owner, { ...settle.set, [def.owner]: null, [def.leaseEnd]: null })
    const result = await untyped(db)
      .deleteFrom(this.table)
      .where((eb) => eb.and(this.ownedBy(row, owner).map(([column, value]) => eb(column, '=', value))))
      .executeTakeFirst()
    return Number(result.numDeletedRows) === 1
  }

  /**
   * Many rows' work is done at once: those the owner still holds go (a row lost to another owner stays its). Claims
   * counted by attempts are not told apart here: use `finish` for each row of such a queue.
   */
  async finishAll(db: Db, rows: readonly Claimed<T, K>[], owner: string): Promise<void> {
    if (rows.length === 0) return
    await untyped(db)
      .deleteFrom(this.table)
      .where((eb) =>
        eb.and([
          this.keyIn(eb, rows as readonly Record<string, unknown>[]),
          eb(this.definition.owner as string, '=', owner as never),
        ]),
      )
      .execute()
  }

  /** The rows whose key is one of `rows`'. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private keyIn(eb: ExpressionBuilder<any, any>, rows: readonly Record<string, unknown>[]) {
    const key = this.definition.key as readonly string[]
    return key.length === 1
      ? eb(key[0] as string, 'in', rows.map((row) => row[key[0] as string]) as never)
      : eb(
          eb.refTuple(...(key as unknown as [string, string])),
          'in',
          rows.map((row) => eb.tuple(...(key.map((k) => row[k]) as [unknown, unknown]))),
        )
  }

  /** Rows that are due now and not leased. */
  private due(query: UntypedSelect, now: string): UntypedSelect {
    const def = this.definition
    const column = (name: string) => `${def.table}.${name}`
    const lease = column(def.leaseEnd)
    let due = query
    if (def.due)
      due = due
        .where(column(def.due), '<=', now)
        .where((eb) => eb.or([eb(lease, 'is', null), eb(lease, '<', now)]))
    else if (def.nullIsDue) due = due.where((eb) => eb.or([eb(lease, 'is', null), eb(lease, '<=', now)]))
    else due = due.where(lease, '<=', now)
    return due
  }

  /** In the queue's order, unless the caller's query has its own. */
  private ordered(query: UntypedSelect): UntypedSelect {
    if (query.toOperationNode().orderBy !== undefined) return query
    return this.definition.order.reduce((q, name) => q.orderBy(`${this.table}.${name}`), query)
  }

  private ownedBy(row: Claimed<T, K>, owner: string): (readonly [string, never])[] {
    const def = this.definition
    const values = row as Record<string, unknown>
    const claim = def.attempts?.counted === 'claim' ? def.attempts.column : undefined
    const pairs: [string, unknown][] = [
      ...def.key.map((k): [string, unknown] => [k, values[k]]),
      [def.owner, owner],
    ]
    if (claim && values[claim] !== undefined) pairs.push([claim, values[claim]])
    return pairs as [string, never][]
  }

  private async update(
    db: Db,
    row: Claimed<T, K>,
    owner: string,
    set: Record<string, unknown>,
    increment?: string,
  ): Promise<boolean> {
    const result = await untyped(db)
      .updateTable(this.table)
      .set((eb) => ({ ...set, ...(increment ? { [increment]: eb(increment, '+', 1) } : {}) }))
      .where((eb) => eb.and(this.ownedBy(row, owner).map(([column, value]) => eb(column, '=', value))))
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }
}

/**
 * Takes the first `limit` rows out of a queue whose rows have no lease (the outbox), in the caller's transaction:
 * deleting is the claim, and rolling back gives them back. On PostgreSQL, SKIP LOCKED lets several processes take
 * different rows at once; on SQLite the transaction already has the one write lock.
 */
export async function takeRows<T extends Table>(
  trx: Trx,
  queue: { table: T; key: Column<T>; order: readonly Column<T>[] },
  limit: number,
): Promise<Row<T>[]> {
  const table: string = queue.table
  const key: string = queue.key
  const db = untyped(trx)
  const first = queue.order
    .reduce((q, name) => q.orderBy(name), db.selectFrom(table).select(key))
    .limit(limit)
    .$call(lockRows(trx, { mode: 'update', skipLocked: true }))
  const rows = await db.deleteFrom(table).where(key, 'in', first).returningAll().execute()
  return rows as Row<T>[]
}
