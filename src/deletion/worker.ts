import type { Db } from '../db/connect.js'
import type { Logger } from '../core/logger.js'
import { dialectOf } from '../db/dialect.js'
import { isoAt, systemClock, type Clock } from '../core/clock.js'
import { JobLoop, workerId, type Job } from '../jobs/loop.js'
import type { ObjectStorage } from '../storage/storage.js'
import { abandonedImportsStep } from './imports.js'
import { removeObjects } from './objects.js'
import {
  claimTask,
  deletionsPaused,
  findDeletionOfTask,
  recordFailure,
  releaseTask,
  startDueDeletion,
  stillPurging,
} from './repository.js'
import { BatchSizer } from '../core/batch-sizer.js'
import { failureReason, finalizeOne, LeaseLost, measureOne, retryAt, runTask, type TaskRun } from './purge.js'
import {
  eraseOnStop,
  markEraseOnStop,
  reclaimAfterPurge,
  reclaimWhenIdle,
  type ReclaimOptions,
} from '../db/reclaim.js'
import { resourceName } from './tables.js'
import { expireIdempotencyKeysStep } from '../idempotency/expiry.js'
import { retentionStep } from '../retention/step.js'
import { ledgerCertificateStep, tombstoneStep } from './ledger-steps.js'
import { openProof, type Proof, type ProofSettings } from './proof.js'

export interface PurgeWorkerOptions {
  /** PURGE_BATCH_TARGET_MS; unset, DEFAULT_BATCH_TARGET_MS, and on PostgreSQL POSTGRES_TRANSACTION_MS for purge batches. */
  batchTargetMs?: number
  pollMs: number
  leaseMs: number
  logger: Logger
  onBatch?(table: string, rows: number): void
  /** See TaskRun.pauseMs. */
  pauseMs?: number
  /**
   * Whether a writer of another thread waits for SQLite's write lock (db/write-waits.ts): given, a purge
   * transaction goes on batch after batch while none does, for at most two batch targets (see TaskRun.extend).
   */
  writerWaiting?(): boolean
  /** How often the worker says it is alive, at debug level (default 30 s). */
  heartbeatMs?: number
  /** SLUG_QUARANTINE_SECONDS: how long a purged organization's slug stays unusable. */
  slugQuarantineSeconds?: number
  /** The one clock: scheduled purges, leases and retries are decided by it (tests move it). */
  clock?: Clock
  /** Where the organizations' objects are (deletion/objects.ts removes them). */
  storage: ObjectStorage
  /** Objects listed and removed per step (PURGE_OBJECT_BATCH). */
  objectBatch?: number
  onObjects?(count: number): void
  /** The ledger and the signing key: tombstones before purges, certificates after (absent: neither). */
  proof?: ProofSettings
}

/**
 * The longest an idle worker waits after a failed step (the database restarting, say) before it tries again:
 * short enough that the purge resumes soon after the database is back.
 */
const MAX_STEP_BACKOFF_MS = 30_000

/**
 * How long a purge transaction on PostgreSQL goes on, batch after batch (TaskRun.extend). Its row locks are on the
 * deleted organization's rows, which nobody else reads or writes: other tenants never wait for it, and fewer
 * commits (each a flush of the WAL) purge faster. Short enough that the receipt's progress moves and a crash
 * loses little. Measured: BENCHMARKS.md, scenarios 2 and 3.
 */
const POSTGRES_TRANSACTION_MS = 100

/** The most rows one purge batch deletes: on SQLite its time budget stops it long before. */
const MAX_BATCH_ROWS = 50_000

/**
 * On PostgreSQL a batch is bounded by its time budget, and the cap is only a guard: every batch pays a fixed cost
 * and a walk of the key to find its end, and at the SQLite cap (50,000 rows, about 55 ms) those were a third of the
 * purge's time; batches of about 100,000 rows fill the 100 ms budget (BENCHMARKS.md, scenario 2).
 */
const POSTGRES_MAX_BATCH_ROWS = 1_000_000

/** A batch's time budget where nobody said otherwise: what one batch may hold SQLite's write lock for. */
const DEFAULT_BATCH_TARGET_MS = 10

/**
 * Finds deleted organizations and purges them. Runs inside the server (unless PURGE_WORKER=off) or alone
 * (`orgspace worker`); any number of workers may share one database. It is woken at once by a DELETE in the
 * same process and otherwise polls, so deletions requested elsewhere (or interrupted by a crash) are picked up.
 */
export class PurgeWorker extends JobLoop {
  constructor(db: Db, options: PurgeWorkerOptions) {
    const job = new PurgeJob(db, options, () => this.shouldStop())
    super(job, {
      pollMs: options.pollMs,
      maxBackoffMs: MAX_STEP_BACKOFF_MS,
      heartbeatMs: options.heartbeatMs,
      logger: options.logger,
      clock: options.clock,
    })
  }
}

/** One step of the purge: see `step`. */
class PurgeJob implements Job {
  readonly name = 'purge'
  readonly id = workerId()
  private readonly sizer: BatchSizer
  private readonly clock: Clock
  private paused = false
  private pauseCheckedAt = 0
  private readonly reclaimOptions: ReclaimOptions
  /** See TaskRun.extend: on PostgreSQL by time; on SQLite only where a waiting writer can be seen. */
  private readonly extend: TaskRun['extend']
  private proof: Promise<Proof> | undefined

  constructor(
    private readonly db: Db,
    private readonly options: PurgeWorkerOptions,
    private readonly stopping: () => boolean,
  ) {
    this.clock = options.clock ?? systemClock
    // On PostgreSQL, unless told otherwise, a purge batch fills its transaction: nobody waits for it (see
    // POSTGRES_TRANSACTION_MS), and each batch costs round trips and each commit a flush of the WAL, which at 10 ms
    // batches took most of the purge's time (BENCHMARKS.md, issue 27).
    const batchTargetMs = options.batchTargetMs ?? DEFAULT_BATCH_TARGET_MS
    const singleWriter = dialectOf(db).singleWriter
    this.sizer = new BatchSizer(
      options.batchTargetMs ?? (singleWriter ? DEFAULT_BATCH_TARGET_MS : POSTGRES_TRANSACTION_MS),
      50,
      singleWriter ? MAX_BATCH_ROWS : POSTGRES_MAX_BATCH_ROWS,
    )
    // On SQLite a transaction holds the one write lock: it goes on only while no writer waits, and for at most
    // two batch targets, because its commit grows with it and a writer that starts waiting waits for that too
    // (BENCHMARKS.md, scenarios 2 and 3). Without the count (a worker process of its own), each batch is a
    // transaction.
    const { writerWaiting } = options
    this.extend = !dialectOf(db).singleWriter
      ? (elapsedMs) => elapsedMs < POSTGRES_TRANSACTION_MS && !this.stopping()
      : writerWaiting
        ? (elapsedMs) => elapsedMs < 2 * batchTargetMs && !this.stopping() && !writerWaiting()
        : undefined
    this.reclaimOptions = {
      targetMs: batchTargetMs,
      pauseMs: options.pauseMs,
      shouldStop: this.stopping,
      logger: options.logger,
    }
  }

  /** After the loop's last step: a SQLite file a purge marked is rewritten (db/reclaim.ts). */
  async stopped(): Promise<void> {
    await eraseOnStop(this.db, { ...this.options, purging: stillPurging })
    await this.closeProof()
  }

  /** Works until nothing is left that can be done now. Failed tasks wait for their retry. */
  async drain(): Promise<void> {
    try {
      while (await this.step()) {
        // keep going
      }
    } finally {
      await this.closeProof()
    }
  }

  /** The ledger and the signing key, opened at the first step; a failure to open is retried at the next. */
  private openedProof(): Promise<Proof | undefined> {
    const settings = this.options.proof
    if (!settings) return Promise.resolve(undefined)
    this.proof ??= openProof(settings).catch((error: unknown) => {
      this.proof = undefined
      throw error
    })
    return this.proof
  }

  private async closeProof(): Promise<void> {
    const opened = this.proof
    this.proof = undefined
    if (opened) await (await opened.catch(() => null))?.ledger.close()
  }

  /** Whether a long step should end between two batches: the loop is stopping, or an operator paused deletions. */
  private readonly yieldNow = (): boolean => this.stopping() || this.pauseRequested()

  /**
   * Whether an operator paused deletions, looked up again at most once per poll while a long task runs, so a
   * pause stops this worker between two batches within about one poll.
   */
  private pauseRequested(): boolean {
    if (this.clock.now() - this.pauseCheckedAt >= this.options.pollMs) {
      this.pauseCheckedAt = this.clock.now()
      deletionsPaused(this.db).then(
        (paused) => (this.paused = paused),
        () => undefined,
      )
    }
    return this.paused
  }

  /**
   * One unit of work: start a scheduled purge that is due, take a deletion's expected counts, complete a
   * finished deletion, remove objects from storage, or work one table of a deletion. False when there was
   * nothing to do.
   */
  async step(): Promise<boolean> {
    // An operator's pause holds every step, in every process sharing the database (one query per step).
    this.paused = await deletionsPaused(this.db)
    this.pauseCheckedAt = this.clock.now()
    if (this.paused) return false
    const now = isoAt(this.clock)
    if (await startDueDeletion(this.db, now)) return true
    if (await abandonedImportsStep(this.db, this.clock)) return true
    const proof = await this.openedProof()
    if (proof && (await tombstoneStep(this.db, proof.ledger, now))) return true
    if (await measureOne(this.db, proof !== undefined)) return true
    let completed: string[] | undefined
    const finalized = await finalizeOne(this.db, {
      slugQuarantineSeconds: this.options.slugQuarantineSeconds,
      clock: this.clock,
      onCompleted: (tables) => (completed = tables),
      certifier: proof && { ...proof, storage: this.options.storage },
    })
    if (finalized) {
      if (completed) await reclaimAfterPurge(this.db, completed, this.reclaimOptions)
      return true
    }
    if (proof && (await ledgerCertificateStep(this.db, proof.ledger, now))) return true
    const objects = {
      owner: this.id,
      leaseMs: this.options.leaseMs,
      clock: this.clock,
      storage: this.options.storage,
      batch: this.options.objectBatch ?? 1000,
      logger: this.options.logger,
      shouldStop: this.yieldNow,
      onObjects: this.options.onObjects,
    }
    if (await removeObjects(this.db, objects)) return true
    const leaseUntil = isoAt(this.clock, this.options.leaseMs)
    const task = await claimTask(this.db, this.id, now, leaseUntil)
    if (!task) {
      // Retention runs when no purge is waiting, on the purge's batch budget and pause (retention/step.ts).
      if (await retentionStep(this.db, this.clock, { ...this.reclaimOptions, shouldStop: this.yieldNow }))
        return true
      if (await expireIdempotencyKeysStep(this.db, this.clock)) return true
      await reclaimWhenIdle(this.db, this.reclaimOptions)
      return false
    }
    await markEraseOnStop(this.db)
    const deletion = await findDeletionOfTask(this.db, task)
    try {
      const outcome = await runTask(this.db, task, deletion.organization_id, {
        owner: this.id,
        leaseMs: this.options.leaseMs,
        clock: this.clock,
        sizer: this.sizer,
        shouldStop: this.yieldNow,
        onBatch: this.options.onBatch,
        pauseMs: this.options.pauseMs,
        writerWaiting: this.options.writerWaiting,
        extend: this.extend,
      })
      // The deletion may now be ready to complete: look again at once.
      if (outcome === 'done') return true
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.options.logger.warn({ task: task.id, worker: this.id }, error.message)
        return true
      }
      const retry = retryAt(deletion.attempts, this.clock)
      // The receipt gets a reason without SQL or internals; the log gets the whole error.
      const reason = failureReason(`purging ${resourceName(task.table_name)}`, error)
      this.options.logger.error(
        { err: error, task: task.id, worker: this.id, retryAt: retry },
        'purge task failed',
      )
      await recordFailure(this.db, task.deletion_id, reason, retry)
      await releaseTask(this.db, task.id, this.id, retry)
    }
    return true
  }
}
