import { setTimeout as sleep } from 'node:timers/promises'
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type SqliteDatabase as KyselySqliteDatabase,
} from 'kysely'
import { waitingWriters } from './write-waits.js'

// orgspace's SQLite driver for Kysely. Kysely's own serialises every query on one connection, so a reader waits
// behind any transaction — and behind a writer waiting for the database's write lock (held, say, by the purge
// thread or another process). Here:
// - reads outside a transaction go to a connection of their own: in WAL mode they never wait for writers;
// - writes share the writer connection, one transaction (or statement) at a time, queued in order;
// - transactions start with BEGIN IMMEDIATE (the write lock up front, so no transaction fails on upgrade), and a
//   busy database is waited for asynchronously, in short steps: the event loop keeps serving while a write
//   waits, instead of sleeping inside SQLite's busy handler.

const BUSY_WAIT_MS = 5_000

async function whenNotBusy<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS
  let counted = false
  try {
    for (let delay = 1; ; delay = Math.min(delay + 1, 2)) {
      try {
        return await attempt()
      } catch (error) {
        const code = String((error as { code?: unknown }).code ?? '')
        if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error
        // Waiting: the purge thread, holding the lock, commits at its next batch (write-waits.ts).
        if (!counted) Atomics.add(waitingWriters, 0, 1)
        counted = true
        await sleep(delay)
      }
    }
  } finally {
    if (counted) Atomics.sub(waitingWriters, 0, 1)
  }
}

/** A statement that only reads: a SELECT built by Kysely, or raw SQL that starts with SELECT. */
function isRead(query: CompiledQuery): boolean {
  return (
    SelectQueryNode.is(query.query) || (query.query.kind === 'RawNode' && /^\s*select\b/i.test(query.sql))
  )
}

/** A better-sqlite3 connection as Kysely needs it, plus `exec`, which steps a statement to its end. */
export interface SqliteDatabase extends KyselySqliteDatabase {
  exec(sql: string): void
}

function run(database: SqliteDatabase, query: CompiledQuery): QueryResult<unknown> {
  const statement = database.prepare(query.sql)
  if (statement.reader) return { rows: statement.all(query.parameters) }
  // run() steps a statement once, which is all a statement without result columns needs — except a few pragmas
  // that work one step at a time (`incremental_vacuum(n)` frees one page per step): those run to their end.
  if (/^\s*pragma\b/i.test(query.sql) && query.parameters.length === 0) {
    database.exec(query.sql)
    return { rows: [] }
  }
  const { changes, lastInsertRowid } = statement.run(query.parameters)
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) }
}

/** After a failed COMMIT SQLite may or may not have rolled back already; either way none of it may remain. */
function rollbackIfOpen(database: SqliteDatabase): void {
  try {
    run(database, CompiledQuery.raw('rollback'))
  } catch {
    // "no transaction is active": SQLite had rolled it back itself
  }
}

/** FIFO lock over the writer connection. */
class WriterLock {
  private tail: Promise<void> = Promise.resolve()
  async acquire(): Promise<() => void> {
    let release = () => undefined as void
    const previous = this.tail
    this.tail = new Promise((resolve) => (release = resolve))
    await previous
    return release
  }
}

class Connection implements DatabaseConnection {
  private release: (() => void) | undefined
  inTransaction = false

  constructor(
    private readonly writer: SqliteDatabase,
    private readonly reader: SqliteDatabase | null,
    private readonly lock: WriterLock,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.inTransaction && this.reader && isRead(query)) {
      return run(this.reader, query) as QueryResult<R>
    }
    if (this.inTransaction) return run(this.writer, query) as QueryResult<R>
    const release = await this.lock.acquire()
    try {
      return (await whenNotBusy(async () => run(this.writer, query))) as QueryResult<R>
    } finally {
      release()
    }
  }

  async begin(): Promise<void> {
    this.release = await this.lock.acquire()
    try {
      await whenNotBusy(async () => run(this.writer, CompiledQuery.raw('begin immediate')))
      this.inTransaction = true
    } catch (error) {
      this.end()
      throw error
    }
  }

  /**
   * Ends the transaction while still holding the writer lock. A failed COMMIT is rolled back here, before the lock
   * goes to the next caller, so nothing of it can leak into (or abort) someone else's transaction; Kysely's own
   * rollback afterwards finds no lock held and does nothing.
   */
  async finish(command: 'commit' | 'rollback'): Promise<void> {
    if (!this.release) return
    try {
      run(this.writer, CompiledQuery.raw(command))
    } catch (error) {
      if (command === 'commit') rollbackIfOpen(this.writer)
      throw error
    } finally {
      this.end()
    }
  }

  private end(): void {
    this.inTransaction = false
    this.release?.()
    this.release = undefined
  }

  // eslint-disable-next-line require-yield
  async *streamQuery(): AsyncIterableIterator<QueryResult<never>> {
    throw new Error('streaming is not used by orgspace')
  }
}

class OrgspaceSqliteDriver implements Driver {
  private readonly lock = new WriterLock()
  constructor(
    private readonly writer: SqliteDatabase,
    private readonly reader: SqliteDatabase | null,
  ) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this.writer, this.reader, this.lock)
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).begin()
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).finish('commit')
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).finish('rollback')
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    this.reader?.close()
    this.writer.close()
  }
}

/** A Kysely dialect over a writer connection and, for a database file, a separate reader connection. */
export class OrgspaceSqliteDialect implements Dialect {
  constructor(
    private readonly writer: SqliteDatabase,
    private readonly reader: SqliteDatabase | null,
  ) {}
  createDriver(): Driver {
    return new OrgspaceSqliteDriver(this.writer, this.reader)
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler()
  }
  createAdapter() {
    return new SqliteAdapter()
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db)
  }
}
