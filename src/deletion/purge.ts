import { isoAt, systemClock, type Clock } from '../core/clock.js'
import type { BatchSizer } from '../core/batch-sizer.js'
import { performance } from 'node:perf_hooks'
import { BatchEndsAhead, deleteKeyBatch, type KeyCursor } from '../db/key-batches.js'
import type { Db } from '../db/connect.js'
import { deletionCompleted } from './lifecycle.js'
import { issueCertificate, type Certifier } from './certificate.js'
import { buildBytesOf, deleteDeletedOrganization } from '../organizations/repository.js'
import {
  completeDeletion,
  lockFinishedDeletion,
  findUnmeasuredDeletion,
  lockUnmeasuredDeletion,
  recordExpected,
  recordBatch,
  recordFailure,
  releaseTask,
  reopenTasks,
  closeTasks,
  taskProgress,
  type PurgeTask,
} from './repository.js'
import { byResource, countRowsByTable, resourceName, tablesStillHolding } from './tables.js'

// The purge of one deleted organization is a set of tasks, one per tenant table. Each task is worked in
// batches, in short transactions (one batch or a few, see TaskRun.extend) that delete rows *and* record the count
// in the task, so a crash at any instant loses nothing: the next worker resumes from whatever committed. Tasks are independent
// (no tenant table references another's rows through a foreign key that cascades), so they can be shared
// between workers and retried in any order.

export class LeaseLost extends Error {
  constructor(taskId: string) {
    super(`lease on purge task ${taskId} was lost`)
    this.name = 'LeaseLost'
  }
}

export interface TaskRun {
  owner: string
  leaseMs: number
  clock: Clock
  sizer: BatchSizer
  shouldStop(): boolean
  onBatch?(table: string, rows: number): void
  /** A pause after each batch, so that writers waiting for SQLite's one write lock get it before the next batch. */
  pauseMs?: number
  /**
   * Whether a writer waits for SQLite's write lock now (db/write-waits.ts): given, the pause is taken only then. A
   * writer that comes later waits for one batch at most, since the transaction then commits (see `extend`); a
   * pause after every transaction of a purge nobody waits for was an eighth of its time (BENCHMARKS.md, scenario 2).
   */
  writerWaiting?(): boolean
  /**
   * Whether the transaction, `elapsedMs` old, may take one more batch before it commits; without it every batch is
   * a transaction of its own. On PostgreSQL nobody waits for a purge transaction, which goes on for a while; on
   * SQLite it holds the write lock, and goes on only while no writer waits (db/write-waits.ts). See PurgeWorker.
   */
  extend?(elapsedMs: number): boolean
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))

/** Works a claimed task until its table holds none of the organization's rows, or the worker is stopping. */
export async function runTask(
  db: Db,
  task: PurgeTask,
  organizationId: string,
  run: TaskRun,
): Promise<'done' | 'stopped'> {
  // Where the next batch starts: after the last key deleted (db/key-batches.ts). A task taken over after a
  // crash starts again from the organization's first key, once.
  let after: KeyCursor = null
  const ahead = BatchEndsAhead.open(db, task.table_name, organizationId)
  for (;;) {
    const started = performance.now()
    const work = await db.transaction().execute(async (trx) => {
      let deleted = 0
      let last = after
      let finished = false
      let batchStarted = 0
      let batchRows = 0
      for (;;) {
        const limit = run.sizer.size
        batchStarted = performance.now()
        const batch = await deleteKeyBatch(trx, task.table_name, organizationId, limit, last, ahead)
        batchRows = batch.deleted
        deleted += batch.deleted
        last = batch.last ?? last
        // Without a last key the batch ran to the organization's last row (a batch's size is `limit`, or what it
        // was when its end was looked up ahead: db/key-batches.ts).
        finished = batch.last === null
        if (finished || !run.extend?.(performance.now() - started)) break
        // A batch followed by another in the same transaction is timed alone; a transaction's last batch is timed
        // with its commit (below), which a waiting writer waits for too.
        run.sizer.observe(performance.now() - batchStarted, batch.deleted)
      }
      const leaseUntil = isoAt(run.clock, run.leaseMs)
      if (!(await recordBatch(trx, task, run.owner, deleted, finished, leaseUntil)))
        throw new LeaseLost(task.id)
      return { deleted, last, finished, batchStarted, batchRows }
    })
    run.sizer.observe(performance.now() - work.batchStarted, work.batchRows)
    // Only once committed: a transaction rolled back deleted nothing.
    after = work.last
    if (work.deleted > 0) run.onBatch?.(task.table_name, work.deleted)
    if (work.finished) return 'done'
    if (run.shouldStop()) {
      await releaseTask(db, task.id, run.owner, null)
      return 'stopped'
    }
    await pause(run.writerWaiting?.() === false ? 0 : (run.pauseMs ?? 0))
  }
}

export interface FinalizeOptions {
  /** SLUG_QUARANTINE_SECONDS: how long the purged organization's slug stays unusable. */
  slugQuarantineSeconds?: number
  /** Told, after the commit, which tables lost rows (for the reclaim that follows, reclaim.ts). */
  onCompleted?: (tables: string[]) => void
  clock?: Clock
  /** Signs the certificate in the completing transaction, after its own verification (certificate.ts). */
  certifier?: Certifier
}

/**
 * Completes one deletion whose tasks are all done, if there is one. Fails closed: it first checks every tenant
 * table for rows of the organization, and if any remain it reopens their tasks instead of completing. Only then
 * does it delete the organization row, write the final counts into the receipt and drop the tasks — all in one
 * transaction.
 */
export async function finalizeOne(db: Db, options: FinalizeOptions = {}): Promise<boolean> {
  let current: { id: string; attempts: number } | undefined
  try {
    return await completeOne(db, options, (deletion) => (current = deletion))
  } catch (error) {
    // A deletion that cannot be completed must not hold up the others: it waits out a backoff, says why.
    if (current)
      await recordFailure(
        db,
        current.id,
        failureReason('completing the deletion', error),
        retryAt(current.attempts, options.clock),
      )
    throw error
  }
}

/** The longest any purge step waits before trying again. */
const MAX_RETRY_DELAY_MS = 5 * 60_000

/** How long a failed step waits before it is tried again: doubling from 1 s, at most MAX_RETRY_DELAY_MS. */
export function retryAt(attempts: number, clock: Clock = systemClock): string {
  return isoAt(clock, Math.min(1000 * 2 ** attempts, MAX_RETRY_DELAY_MS))
}

/** A reason for the receipt: what failed and the database's error code, never SQL or internals. */
export function failureReason(what: string, error: unknown): string {
  const code = (error as { code?: unknown }).code
  return `${what} failed${typeof code === 'string' ? ` (${code})` : ''}; retrying`
}

async function completeOne(
  db: Db,
  { slugQuarantineSeconds = 0, onCompleted, clock = systemClock, certifier }: FinalizeOptions,
  onLocked: (deletion: { id: string; attempts: number }) => void,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deletion = await lockFinishedDeletion(trx, isoAt(clock))
    if (!deletion) return false
    onLocked(deletion)
    const remaining = await tablesStillHolding(trx, deletion.organization_id)
    if (remaining.length > 0) {
      await reopenTasks(trx, deletion.id, remaining)
      return true
    }
    const tasks = await taskProgress(trx, [deletion.id])
    // Rows per resource, and the bytes its builds held in storage (read before the organization row goes).
    const counts = { ...tally(tasks), bytes: await buildBytesOf(trx, deletion.organization_id) }
    await deleteDeletedOrganization(trx, deletion.organization_id)
    const now = clock.now()
    const heldUntil =
      slugQuarantineSeconds > 0 ? new Date(now + slugQuarantineSeconds * 1000).toISOString() : null
    const completedAt = new Date(now).toISOString()
    await completeDeletion(trx, deletion.id, counts, completedAt, heldUntil)
    const certificate =
      certifier && (await issueCertificate(trx, certifier, { ...deletion, counts, completedAt }, completedAt))
    await deletionCompleted(trx, deletion, counts, completedAt, certificate)
    // The tables that lost rows, for the reclaim that follows the commit (reclaim.ts).
    onCompleted?.(['organizations', ...tasks.filter((t) => Number(t.deleted) > 0).map((t) => t.table_name)])
    return true
  })
}

/**
 * Takes the expected counts of one deletion whose purge is about to start: what the organization held when it
 * was deleted (nothing can be written into it since), for the receipt's progress. Its tasks cannot be claimed
 * before, so no row is gone yet. Counting is the worker's job, not DELETE's: the answer must not grow with size.
 */
export async function measureOne(db: Db, afterTombstone = false): Promise<boolean> {
  const found = await findUnmeasuredDeletion(db, afterTombstone)
  if (!found) return false
  // Counted before the transaction that records the counts: on SQLite a transaction holds the one write lock, and
  // counting a large organization inside it kept every other tenant's writes waiting (BENCHMARKS.md, scenario 3).
  // Nothing can be written into a deleted organization and its tasks wait for these counts, so they are as exact
  // here. Two workers may both count; one records.
  const rows = await countRowsByTable(db, found.organization_id)
  const bytes = await buildBytesOf(db, found.organization_id)
  return db.transaction().execute(async (trx) => {
    const deletion = await lockUnmeasuredDeletion(trx, found.id)
    if (!deletion) return true
    await recordExpected(trx, deletion.id, { ...byResource(rows), bytes })
    // A table with nothing of the organization has nothing to purge: its task is done without being claimed (a
    // claim is several round trips, and most of a workspace's tables are often empty). Nothing can be written
    // into a deleted organization, and the completion looks at every table again before it completes.
    await closeTasks(
      trx,
      deletion.id,
      [...rows].filter(([, n]) => n === 0).map(([table]) => table),
    )
    return true
  })
}

/** Rows deleted per resource, from the tasks' counters. */
export function tally(tasks: Array<{ table_name: string; deleted: number }>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const task of tasks) {
    const name = resourceName(task.table_name)
    counts[name] = (counts[name] ?? 0) + Number(task.deleted)
  }
  return counts
}
