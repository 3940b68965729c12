import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import type pg from 'pg'
import { Kysely, PostgresAdapter, PostgresDialect, type Transaction } from 'kysely'
import { withNamedStatements } from './named-statements.js'
import { OrgspaceSqliteDialect, type SqliteDatabase } from './sqlite-driver.js'
import type { Database } from './types.js'

export type Dialect = 'sqlite' | 'postgres'
export type Db = Kysely<Database>
export type Trx = Transaction<Database>

export interface DatabaseHandle {
  db: Db
  dialect: Dialect
  /** The pg pool, for pool metrics; undefined on SQLite. */
  pool?: pg.Pool
  close(): Promise<void>
}

let postgresDriver: typeof pg | undefined

/**
 * pg, loaded when a PostgreSQL URL is first opened: a process on SQLite (the default) never needs it, and it
 * was a tenth of every start.
 */
function loadPg(): typeof pg {
  if (postgresDriver) return postgresDriver
  postgresDriver = createRequire(import.meta.url)('pg') as typeof pg
  // COUNT(*) and SUM() come back from PostgreSQL as int8; orgspace's counts fit a JS number.
  postgresDriver.types.setTypeParser(20, (value) => Number.parseInt(value, 10))
  return postgresDriver
}

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely prepares every query it runs; the service runs the
 * same few hundred statements over and over, so compiled statements are kept (least recently used go first).
 * Sharing one is safe: better-sqlite3 runs each statement to completion before the next one starts.
 */
function withStatementCache(database: SQLite.Database, capacity = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>()
  return {
    close: () => database.close(),
    exec: (sql) => void database.exec(sql),
    prepare(sql) {
      let statement = statements.get(sql)
      if (statement) statements.delete(sql)
      else statement = database.prepare(sql)
      statements.set(sql, statement)
      if (statements.size > capacity) statements.delete(statements.keys().next().value ?? '')
      return statement
    },
  }
}

/**
 * Drops the histograms of ANALYZE (sqlite_stat4), keeping its row counts (sqlite_stat1). With histograms present,
 * SQLite compiles a statement again on every run whenever the values bound might change its plan, so the compiled
 * statements above would be compiled on every request: a GET of an organization cost three times as much in a
 * database someone had analyzed. orgspace's lookups are equalities on keys, which sqlite_stat1 plans as well.
 * Best effort: a database busy with another writer keeps them until the next start.
 */
function dropHistograms(database: SQLite.Database): void {
  try {
    const present = database
      .prepare(`select 1 from sqlite_master where type = 'table' and name = 'sqlite_stat4'`)
      .get()
    if (!present || !database.prepare('select 1 from sqlite_stat4 limit 1').get()) return
    database.exec('delete from sqlite_stat4; analyze sqlite_schema')
  } catch {
    // SQLITE_BUSY or a read-only file: the statistics stay as they are
  }
}

/**
 * What deleted content becomes on every connection that writes (docs/api.md §6.8): ON overwrites a deleted row with
 * zeros, and a page left empty before it goes on the free list, so erasing whole pages does not wait for the
 * reclaim (deletion/reclaim.ts) to hand them back; FAST skips the empty pages. Measured in one run (BENCHMARKS.md,
 * scenario 6), ON purges as fast as FAST and OFF within the noise and writes no more: a page emptied by the purge's
 * deletes is written in that transaction anyway.
 */
const SECURE_DELETE = 'ON'

export function sqlitePath(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/, '')
}

/**
 * Whether background work on this database belongs in a worker thread with a connection of its own: a SQLite
 * file's driver is synchronous and would block the event loop that serves requests. An in-memory database cannot
 * be shared with a thread; PostgreSQL's driver never blocks.
 */
export function backgroundInThread(url: string): boolean {
  return url.startsWith('sqlite:') && sqlitePath(url) !== ':memory:'
}

function openSqlite(url: string): DatabaseHandle {
  const path = sqlitePath(url)
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const writer = new SQLite(path)
  // A new file gets incremental auto-vacuum, so that the purge can give the space of a deleted organization back
  // (see reclaim.ts). It only takes effect before the first table, and before WAL mode is set; on an
  // existing file it does nothing, and migration 0002 converts the file instead.
  writer.pragma('auto_vacuum = INCREMENTAL')
  writer.pragma('journal_mode = WAL')
  writer.pragma('synchronous = NORMAL')
  writer.pragma('foreign_keys = ON')
  // Waiting for another writer is done by the driver, asynchronously (see sqlite-driver.ts).
  writer.pragma('busy_timeout = 0')
  // After a checkpoint, the WAL file is cut back to this size rather than keeping its largest.
  writer.pragma('journal_size_limit = 67108864')
  writer.pragma(`secure_delete = ${SECURE_DELETE}`)
  dropHistograms(writer)
  // A database file gets a second connection for reads, which in WAL mode never wait for writers.
  const reader = path === ':memory:' ? null : new SQLite(path)
  reader?.pragma('query_only = ON')
  reader?.pragma('busy_timeout = 5000')
  const dialect = new OrgspaceSqliteDialect(withStatementCache(writer), reader && withStatementCache(reader))
  const db = new Kysely<Database>({ dialect })
  return { db, dialect: 'sqlite', close: () => db.destroy() }
}

function openPostgres(url: string, poolSize: number): DatabaseHandle {
  // A bounded connect: a server that silently drops packets makes requests fail with 503, not hang.
  const pool = new (loadPg().Pool)({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 })
  // A connection that dies (server restart, pg_terminate_backend, network) emits 'error' on its client. The pool
  // listens only on idle clients; on a checked-out one, between two queries, nobody would, and the process would
  // crash. Every client's errors go to the pool's 'error' event instead. Listening is enough: the query using the
  // client fails on its own (503), and the pool discards the client. Owners of the handle log these events.
  pool.on('connect', (client) => client.on('error', (error) => pool.emit('error', error, client)))
  pool.on('error', () => undefined)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) })
  return { db, dialect: 'postgres', pool, close: () => db.destroy() }
}

export function openDatabase(url: string, options: { poolSize?: number } = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url)
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.poolSize ?? 10)
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://`)
}

/** Runs `work` in `db`'s transaction when it is one, otherwise in a new transaction. */
export function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Trx) : db.transaction().execute(work)
}

/** Row locks (FOR UPDATE …) exist only on PostgreSQL; on SQLite BEGIN IMMEDIATE already serialises writers. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}
