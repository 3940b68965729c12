import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { BatchSizer } from '../core/batch-sizer.js'
import { isPostgres, type Db } from './connect.js'

// After a purge, what the deleted rows occupied goes back, and with it what is left of their bytes (docs/api.md §6.8).
//
// SQLite (auto_vacuum = INCREMENTAL, secure_delete, see connect.ts): pages the purge emptied sit on the
// freelist with their old content. `incremental_vacuum` moves live pages from the end of the file into those free
// slots and cuts the file, so no free page — and none of its bytes — is left; then the WAL, which still holds
// earlier versions of the purged pages, is checkpointed and truncated. Each step is one short write, sized like a
// purge batch, so that other tenants' writes get the lock in between. The trigger is the file itself: an idle
// worker reclaims whenever the freelist is not empty, so a crash between a purge and its reclaim heals on its own.
//
// That is not yet all: when SQLite's b-tree moves cells between pages (balancing, after inserts and deletes), it
// leaves copies of them in the unused middle of pages that stay in use, and secure_delete never clears that area.
// Only VACUUM, which writes every page anew, removes them; it holds the write lock for as long as it takes (about
// 16 s for a 380 MB file on a small machine), so it never runs while other tenants are being served. Instead a
// purge marks the file before it deletes anything (`user_version`, unused otherwise), and the purge worker's clean
// stop VACUUMs a marked file. The mark survives crashes, so a purge interrupted by one is erased at a later stop.
//
// PostgreSQL: the tables the purge touched are vacuumed (not FULL: no exclusive lock), so their dead tuples
// become free space at once instead of whenever autovacuum comes by, and analyzed, so that the planner's samples
// (pg_statistic's common values and histogram bounds) stop holding the organization's values. What remains
// where: docs/erasure.md.

export interface ReclaimOptions {
  /** How long one step may hold SQLite's write lock; the purge's batch budget. */
  targetMs: number
  /** A pause between steps, as between purge batches. */
  pauseMs?: number
  shouldStop(): boolean
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void }
}

interface SqliteReclaim {
  /** Free pages given back to the file system. */
  pages: number
  /** Whether the WAL was checkpointed and truncated to zero bytes. */
  walTruncated: boolean
}

/** After a deletion completed: vacuum the tables it touched (PostgreSQL), or reclaim the free pages (SQLite). */
export async function reclaimAfterPurge(db: Db, tables: string[], options: ReclaimOptions): Promise<void> {
  try {
    if (isPostgres(db)) await vacuumTables(db, tables)
    else await reclaimSqlite(db, options)
  } catch (error) {
    // The deletion is complete and its rows are gone; what failed here is retried when the worker is idle (SQLite)
    // or left to autovacuum (PostgreSQL).
    options.logger.warn({ err: error }, 'reclaiming space after a purge failed')
  }
}

/** When the worker has nothing to purge: on SQLite, finish any reclaim a crash or a stop interrupted. */
export async function reclaimWhenIdle(db: Db, options: ReclaimOptions): Promise<void> {
  if (isPostgres(db)) return
  try {
    await reclaimSqlite(db, options)
  } catch (error) {
    options.logger.warn({ err: error }, 'reclaiming free space failed')
  }
}

/** VACUUM (never inside a transaction; not FULL) and ANALYZE of the tables that had rows of the organization. */
async function vacuumTables(db: Db, tables: string[]): Promise<void> {
  if (tables.length === 0) return
  await sql`vacuum (analyze) ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db)
}

async function freePages(db: Db): Promise<number> {
  const { rows } = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db)
  return Number(rows[0]?.freelist_count ?? 0)
}

/** Hands the freelist back in short steps, then truncates the WAL. Does nothing when the freelist is empty. */
async function reclaimSqlite(db: Db, options: ReclaimOptions): Promise<SqliteReclaim> {
  let free = await freePages(db)
  if (free === 0) return { pages: 0, walTruncated: false }
  const sizer = new BatchSizer(options.targetMs, 16, 16_384, 256)
  let pages = 0
  while (free > 0 && !options.shouldStop()) {
    const step = sizer.size
    const started = performance.now()
    await sql`pragma incremental_vacuum(${sql.lit(step)})`.execute(db)
    const left = await freePages(db)
    sizer.observe(performance.now() - started, free - left)
    // Others write in between (and may free pages too); a step that gains nothing means there is nothing this
    // mode can give back (a file not converted to incremental auto-vacuum): stop rather than spin.
    if (left >= free) break
    pages += free - left
    free = left
    await pause(options.pauseMs ?? 0)
  }
  if (pages === 0) return { pages, walTruncated: false }
  const walTruncated = await truncateWal(db, options.shouldStop)
  options.logger.info({ pages, walTruncated }, 'gave free pages back to the file system')
  return { pages, walTruncated }
}

/**
 * Copies the WAL into the database and cuts it to zero bytes. A reader still using an older snapshot blocks
 * that (busy = 1, SQLite waits for no one: busy_timeout is 0): ask again, more slowly each time, then leave it
 * to the next reclaim or to the clean stop, which removes the WAL.
 */
async function truncateWal(db: Db, shouldStop: () => boolean): Promise<boolean> {
  // TRUNCATE keeps other writers out while it copies what is left of the WAL into the database and syncs it; a
  // PASSIVE checkpoint first copies most of it without holding anyone up, leaving TRUNCATE the frames written since.
  await sql`pragma wal_checkpoint(passive)`.execute(db)
  for (let attempt = 0; attempt < 8 && !shouldStop(); attempt++) {
    const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db)
    if (rows[0]?.busy === 0) return true
    await sleep(Math.min(25 * 2 ** attempt, 2_000))
  }
  return false
}

async function fileBytes(db: Db): Promise<number> {
  const { rows } = await sql<{ bytes: number }>`
    select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`.execute(db)
  return Number(rows[0]?.bytes ?? 0)
}

async function userVersion(db: Db): Promise<number> {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db)
  return Number(rows[0]?.user_version ?? 0)
}

/** SQLite: before a purge deletes rows, marks the file as owing a VACUUM at the next clean stop. */
export async function markEraseOnStop(db: Db): Promise<void> {
  if (isPostgres(db)) return
  // A counter rather than a flag, so that a stop can tell whether someone marked it again while it vacuumed
  // (wrapping well inside user_version's 32 bits).
  await db.transaction().execute(async (trx) => {
    await sql`pragma user_version = ${sql.lit(((await userVersion(trx)) % 1_000_000_000) + 1)}`.execute(trx)
  })
}

/**
 * SQLite, at the purge worker's clean stop: VACUUMs a file marked by a purge, then clears the mark unless it was
 * marked again meanwhile or a deletion is still being purged (whose later batches this VACUUM did not see).
 * Returns whether it vacuumed. Interrupted (a kill), it leaves the mark and the file as they were.
 */
export async function eraseOnStop(
  db: Db,
  options: Pick<ReclaimOptions, 'logger'> & {
    /** Whether a purge is still under way, in the transaction given. */
    purging(trx: Db): Promise<boolean>
  },
): Promise<boolean> {
  if (isPostgres(db)) return false
  const started = performance.now()
  try {
    const marked = await userVersion(db)
    if (marked === 0) return false
    // Said before it starts: a shutdown cut short (SHUTDOWN_TIMEOUT_MS, an orchestrator's kill) leaves this line last.
    options.logger.info(
      { bytes: await fileBytes(db) },
      'rewriting the database file (VACUUM) before stopping',
    )
    await sql`vacuum`.execute(db)
    await db.transaction().execute(async (trx) => {
      if ((await userVersion(trx)) !== marked || (await options.purging(trx))) return
      await sql`pragma user_version = 0`.execute(trx)
    })
    const walTruncated = await truncateWal(db, () => false)
    options.logger.info(
      { ms: Math.round(performance.now() - started), walTruncated },
      'rewrote the database file (VACUUM) so that no trace of purged organizations remains',
    )
    return true
  } catch (error) {
    // VACUUM needs free disk for a copy of the database (a temporary file and the WAL); failing, it changes
    // nothing and the mark stays for the next stop. The stop itself goes on.
    options.logger.warn({ err: error }, 'could not rewrite the database file at stop; the next stop will try')
    return false
  }
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))
