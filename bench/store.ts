import { randomBytes } from 'node:crypto'
import { constants, copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { sql } from 'kysely'
import { openDatabase, type Dialect } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { databaseUrl, startCluster, type Cluster } from '../test/support/pg-cluster.js'

// Benchmarks need many identical databases: a template is seeded once, then every measurement that consumes
// an organization (a DELETE) gets a fresh copy. SQLite copies the file; PostgreSQL clones with
// CREATE DATABASE … TEMPLATE, which copies the template's files without replaying a single INSERT.

export interface Copy {
  url: string
  drop(): Promise<void>
}

export interface Store {
  dialect: Dialect
  /** The database engine and how it is configured, for the report. */
  describe(): Promise<string>
  /** A new, migrated, empty database to build a template in; returns its DATABASE_URL. */
  create(name: string): Promise<string>
  /** Makes a finished template ready to copy (checkpointed / analyzed, no open connections). */
  seal(name: string): Promise<void>
  copy(template: string): Promise<Copy>
  /**
   * Waits until the machine has written out what earlier steps left dirty (a 300 MB copy, a cascade, a purge),
   * so that the next measurement does not pay for it: every size and every server get the same quiet start.
   */
  settle(): Promise<void>
  close(): Promise<void>
}

const run = promisify(execFile)

/** Flushes the page cache's dirty pages to disk (sync(2)), waiting until they are written. */
const syncDisks = async () => {
  await run('sync')
}

const suffix = () => randomBytes(4).toString('hex')

async function migrate(url: string): Promise<void> {
  const handle = openDatabase(url, { poolSize: 1 })
  try {
    await migrateToLatest(handle.db)
  } finally {
    await handle.close()
  }
}

export function sqliteStore(dir: string): Store {
  mkdirSync(dir, { recursive: true })
  const file = (name: string) => join(dir, `${name}.db`)
  const remove = (path: string) => {
    for (const extra of ['', '-wal', '-shm']) rmSync(`${path}${extra}`, { force: true })
  }
  return {
    dialect: 'sqlite',
    async describe() {
      const db = new SQLite(':memory:')
      const row = db.prepare('select sqlite_version() as v').get() as { v: string }
      db.close()
      return `SQLite ${row.v} (better-sqlite3, WAL, synchronous=NORMAL), files under ${dir}`
    },
    async create(name) {
      remove(file(name))
      const url = `sqlite:${file(name)}`
      await migrate(url)
      return url
    },
    async seal(name) {
      // Fold the WAL into the main file so that copying the one file copies everything.
      const db = new SQLite(file(name))
      db.pragma('wal_checkpoint(TRUNCATE)')
      db.exec('analyze')
      db.close()
    },
    async copy(template) {
      const path = file(`copy-${template}-${suffix()}`)
      // A reflink where the filesystem offers one, a plain copy otherwise.
      copyFileSync(file(template), path, constants.COPYFILE_FICLONE)
      return { url: `sqlite:${path}`, drop: async () => remove(path) }
    },
    settle: syncDisks,
    async close() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A throwaway, durable PostgreSQL cluster (fsync on: the server's defaults), stopped by close(). */
export async function postgresStore(): Promise<Store> {
  const cluster: Cluster = await startCluster({ durable: true })
  const admin = new pg.Client({ connectionString: cluster.url })
  await admin.connect()
  const ident = (name: string) => `"${name.replace(/"/g, '')}"`
  return {
    dialect: 'postgres',
    async describe() {
      const { rows } = await admin.query<{ v: string }>(`select current_setting('server_version') as v`)
      return `PostgreSQL ${rows[0]?.v ?? '?'} (throwaway local cluster, default settings, fsync on)`
    },
    async create(name) {
      await admin.query(`drop database if exists ${ident(name)} with (force)`)
      await admin.query(`create database ${ident(name)}`)
      const url = databaseUrl(cluster.url, name)
      await migrate(url)
      return url
    },
    async seal(name) {
      // Statistics and the visibility map as a long-lived database would have them; copies inherit both.
      const handle = openDatabase(databaseUrl(cluster.url, name), { poolSize: 1 })
      try {
        await sql`vacuum analyze`.execute(handle.db)
      } finally {
        await handle.close()
      }
    },
    async copy(template) {
      const name = `copy_${template}_${suffix()}`
      await admin.query(`create database ${ident(name)} template ${ident(template)}`)
      return {
        url: databaseUrl(cluster.url, name),
        drop: async () => {
          await admin.query(`drop database if exists ${ident(name)} with (force)`)
        },
      }
    },
    async settle() {
      // A checkpoint now rather than one spread over the next measurement (copies are written through the WAL).
      await admin.query('checkpoint')
      await syncDisks()
    },
    async close() {
      await admin.end().catch(() => undefined)
      await cluster.stop()
    },
  }
}
