import { existsSync, readFileSync, rmSync, statSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { loadConfig } from '../../src/config.js'
import { openDatabase, sqlitePath, type Db } from '../../src/db/connect.js'
import { requestDeletion } from '../../src/deletion/command.js'
import { openStorage } from '../../src/storage/open.js'
import { PurgeWorker } from '../../src/deletion/worker.js'
import type { DialectContext } from '../context.js'
import { round, sleep } from '../stats.js'

// Scenario 8 — erasure at rest on SQLite (docs/api.md §6.8): what secure_delete costs the purge, and what the files
// weigh before the purge, when its receipt is completed, once the worker has handed the free pages back, and after
// a clean stop (which VACUUMs the file the purge marked). A fresh copy of the large organization's database per
// purge; the modes go OFF FAST ON ON FAST OFF, so that a machine getting busier or quieter weighs on each alike.
// The purge is the server's own worker run in this process, set up as the purge thread sets up its connection
// (src/deletion/thread.ts), so that only secure_delete differs between the runs. Last, a small neighbour is purged
// from the same file, whose clean stop then VACUUMs a file that stays large: what a stop costs a busy database.

export const SECURE_DELETE_MODES = ['OFF', 'FAST', 'ON'] as const
export type SecureDeleteMode = (typeof SECURE_DELETE_MODES)[number]

export interface FileSizes {
  dbBytes: number
  walBytes: number
}

export interface ErasureRun {
  secureDelete: SecureDeleteMode
  rows: number
  /** The receipt's requestedAt → completedAt. */
  purgeSeconds: number
  rowsPerSecond: number
  /** Bytes this process had the kernel write from the DELETE to the receipt's completion (/proc/self/io). */
  writtenBytes: number | null
  /** From the receipt's completion until the free pages were handed back and the WAL truncated. */
  reclaimSeconds: number | null
  /** Whether the reclaim's checkpoint could truncate the WAL (null: no reclaim seen). */
  walTruncated: boolean | null
  /** The worker's clean stop (its VACUUM included) and closing the database. */
  stopSeconds: number
  before: FileSizes
  /** First seen with the receipt `completed` (sampled every 25 ms; the reclaim starts at once). */
  atCompletion: FileSizes
  afterReclaim: FileSizes
  afterStop: FileSizes
}

export interface ErasureResult {
  /** In the order they ran. */
  runs: ErasureRun[]
  /**
   * A small neighbour purged from the same file (secure_delete ON): its clean stop VACUUMs a file that stays
   * large, which is what a stop costs on a busy database.
   */
  smallPurge: ErasureRun
  /** Per mode: rows over seconds, summed over its runs. */
  rowsPerSecond: Record<SecureDeleteMode, number>
}

function sizes(path: string): FileSizes {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : 0)
  return { dbBytes: size(path), walBytes: size(`${path}-wal`) }
}

/** write_bytes of this process so far, or null where /proc/self/io cannot be read. */
function writtenSoFar(): number | null {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))
    return match ? Number(match[1]) : null
  } catch {
    return null
  }
}

async function freePages(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select freelist_count as n from pragma_freelist_count()`.execute(
    db,
  )
  return Number(rows[0]?.n ?? 0)
}

async function receipt(db: Db, deletionId: string) {
  return db
    .selectFrom('deletions')
    .select(['status', 'requested_at', 'completed_at', 'counts'])
    .where('id', '=', deletionId)
    .executeTakeFirstOrThrow()
}

async function runOnce(
  context: DialectContext,
  template: string,
  organizationId: string,
  mode: SecureDeleteMode,
): Promise<ErasureRun> {
  const copy = await context.store.copy(template)
  try {
    const path = sqlitePath(copy.url)
    const config = loadConfig({})
    const handle = openDatabase(copy.url)
    const db = handle.db
    await sql`pragma secure_delete = ${sql.raw(mode)}`.execute(db)
    // As the purge thread: it checkpoints the WAL itself, less often than SQLite's default, and PASSIVE on a timer.
    await sql`pragma wal_autocheckpoint = 10000`.execute(db)
    const checkpoints = setInterval(() => {
      sql`pragma wal_checkpoint(passive)`.execute(db).catch(() => undefined)
    }, config.PURGE_POLL_MS)
    // The worker says when it has handed the free pages back (and truncated the WAL): the end of the reclaim.
    let reclaimedAt: number | undefined
    let walTruncated: boolean | null = null
    // The organization has no builds: an empty storage folder beside the copy stands in for the server's.
    const storage = await openStorage({ kind: 'file', root: `${path}.storage` })
    const worker = new PurgeWorker(db, {
      batchTargetMs: config.PURGE_BATCH_TARGET_MS,
      pollMs: config.PURGE_POLL_MS,
      leaseMs: config.PURGE_LEASE_MS,
      pauseMs: 3,
      storage,
      logger: {
        debug: () => undefined,
        info: (obj, msg) => {
          if (!msg?.startsWith('gave free pages back') || reclaimedAt !== undefined) return
          reclaimedAt = Date.now()
          walTruncated = (obj as { walTruncated?: boolean }).walTruncated ?? null
        },
        warn: (obj, msg) => context.log(`erasure (${mode}): ${msg ?? ''} ${JSON.stringify(obj)}`),
        error: (obj, msg) => context.log(`erasure (${mode}): ${msg ?? ''} ${JSON.stringify(obj)}`),
      },
    })
    let stopped = false
    try {
      const owner = await db
        .selectFrom('collaborators')
        .innerJoin('users', 'users.id', 'collaborators.user_id')
        .select(['users.id', 'users.email', 'users.name'])
        .where('collaborators.organization_id', '=', organizationId)
        .where('collaborators.role', '=', 'owner')
        .executeTakeFirstOrThrow()
      await context.store.settle()
      const before = sizes(path)
      const writtenBefore = writtenSoFar()
      // The same command DELETE runs.
      const auth = {
        userId: owner.id,
        email: owner.email,
        name: owner.name,
        tokenId: 'bench',
        organizationId: null,
      }
      const { deletionId } = await requestDeletion(db, auth, organizationId, {
        graceSeconds: 0,
        quarantineSeconds: 0,
      })
      worker.start()
      let done = await receipt(db, deletionId)
      while (done.status !== 'completed') {
        await sleep(25)
        done = await receipt(db, deletionId)
      }
      const atCompletion = sizes(path)
      const writtenAfter = writtenSoFar()
      const seen = Date.now()
      // A purge that emptied no page has nothing to hand back, and says nothing: the freelist tells.
      while (reclaimedAt === undefined && Date.now() - seen < context.plan.load.maxWaitMs) {
        await sleep(25)
        if (Date.now() - seen > 500 && (await freePages(db)) === 0) break
      }
      const afterReclaim = sizes(path)
      const completedAt = Date.parse(done.completed_at ?? '')
      const purgeSeconds = (completedAt - Date.parse(done.requested_at)) / 1000
      const rows = Object.values(JSON.parse(done.counts ?? '{}') as Record<string, number>).reduce(
        (sum, n) => sum + n,
        0,
      )
      clearInterval(checkpoints)
      const stopStarted = performance.now()
      stopped = true
      await worker.stop()
      await handle.close()
      const stopSeconds = (performance.now() - stopStarted) / 1000
      return {
        secureDelete: mode,
        rows,
        purgeSeconds: round(purgeSeconds, 3),
        rowsPerSecond: Math.round(rows / purgeSeconds),
        writtenBytes: writtenBefore === null || writtenAfter === null ? null : writtenAfter - writtenBefore,
        reclaimSeconds: reclaimedAt === undefined ? null : round((reclaimedAt - completedAt) / 1000, 3),
        walTruncated,
        stopSeconds: round(stopSeconds, 3),
        before,
        atCompletion,
        afterReclaim,
        afterStop: sizes(path),
      }
    } finally {
      clearInterval(checkpoints)
      if (!stopped) await worker.stop().then(() => handle.close())
      await storage.close()
      rmSync(`${path}.storage`, { recursive: true, force: true })
    }
  } finally {
    await copy.drop()
  }
}

export async function runErasure(context: DialectContext): Promise<ErasureResult> {
  if (context.dialect !== 'sqlite') throw new Error('the erasure scenario measures SQLite files')
  const fixture = await context.large()
  const runs: ErasureRun[] = []
  for (const mode of [...SECURE_DELETE_MODES, ...[...SECURE_DELETE_MODES].reverse()]) {
    context.log(`erasure at rest: purging the large organization with secure_delete=${mode}`)
    runs.push(await runOnce(context, fixture.template, fixture.large.id, mode))
  }
  const neighbour = fixture.neighbours[0]
  if (!neighbour) throw new Error('fixture has no neighbour organization')
  context.log('erasure at rest: purging a small organization, then stopping: VACUUM of a large file')
  const smallPurge = await runOnce(context, fixture.template, neighbour.id, 'ON')
  const rate = (mode: SecureDeleteMode) => {
    const of = runs.filter((r) => r.secureDelete === mode)
    return Math.round(of.reduce((n, r) => n + r.rows, 0) / of.reduce((s, r) => s + r.purgeSeconds, 0))
  }
  return { runs, smallPurge, rowsPerSecond: { OFF: rate('OFF'), FAST: rate('FAST'), ON: rate('ON') } }
}
