import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { isPostgres, type Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import type { ObjectStorage } from '../storage/storage.js'
import { abandonedImportsStep } from '../exports/import-lease.js'
import { removeObjects } from './objects.js'
import {
  claimTask,
  deletionsPaused,
  findDeletionOfTask,
  recordFailure,
  releaseTask,
  startDueDeletion,
} from './repository.js'
import {
  BatchSizer,
  failureReason,
  finalizeOne,
  LeaseLost,
  measureOne,
  retryAt,
  runTask,
  type TaskRun,
} from './purge.js'
import {
  eraseOnStop,
  markEraseOnStop,
  reclaimAfterPurge,
  reclaimWhenIdle,
  type ReclaimOptions,
} from './reclaim.js'
import { resourceName } from './tables.js'

export interface WorkerLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface PurgeWorkerOptions {
  batchTargetMs: number
  pollMs: number
  leaseMs: number
  logger: WorkerLogger
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
  /** What time it is, for starting scheduled purges (tests move it forward instead of sleeping). */
  clock?: () => number
  /** Where the organizations' objects are (deletion/objects.ts removes them). */
  storage: ObjectStorage
  /** Objects listed and removed per step (PURGE_OBJECT_BATCH). */
  objectBatch?: number
  onObjects?(count: number): void
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

/**
 * Finds deleted organizations and purges them. Runs inside the server (unless PURGE_WORKER=off) or alone
 * (`orgspace worker`); any number of workers may share one database. It is woken at once by a DELETE in the
 * same process and otherwise polls, so deletions requested elsewhere (or interrupted by a crash) are picked up.
 */
export class PurgeWorker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  private stopping = false
  private looping = false
  private running: Promise<void> | undefined
  private wake: (() => void) | undefined
  private kicked = false
  private readonly sizer: BatchSizer
  private paused = false
  private pauseCheckedAt = 0
  private readonly reclaimOptions: ReclaimOptions
  /** See TaskRun.extend: on PostgreSQL by time; on SQLite only where a waiting writer can be seen. */
  private readonly extend: TaskRun['extend']

  constructor(
    private readonly db: Db,
    private readonly options: PurgeWorkerOptions,
  ) {
    this.sizer = new BatchSizer(options.batchTargetMs)
    // On SQLite a transaction holds the one write lock: it goes on only while no writer waits, and for at most
    // two batch targets, because its commit grows with it and a writer that starts waiting waits for that too
    // (2× was measured against none, 1.5× and 5×: BENCHMARKS.md). Without the count (a worker process of its own),
    // each batch is a transaction.
    const { writerWaiting, batchTargetMs } = options
    this.extend = isPostgres(db)
      ? (elapsedMs) => elapsedMs < POSTGRES_TRANSACTION_MS && !this.stopping
      : writerWaiting
        ? (elapsedMs) => elapsedMs < 2 * batchTargetMs && !this.stopping && !writerWaiting()
        : undefined
    this.reclaimOptions = {
      targetMs: options.batchTargetMs,
      pauseMs: options.pauseMs,
      shouldStop: () => this.stopping,
      logger: options.logger,
    }
  }

  start(): void {
    if (this.looping) return
    this.stopping = false
    this.looping = true
    this.running = this.loop().finally(() => (this.looping = false))
  }

  /** Something may be waiting: look now rather than at the next poll. */
  kick(): void {
    this.kicked = true
    this.wake?.()
  }

  /** Stops between batches; resolves once the current batch has committed and the loop has ended. */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.running
    await eraseOnStop(this.db, this.options)
  }

  /** Works until nothing is left that can be done now (tests, one-shot runs). Failed tasks wait for their retry. */
  async drain(): Promise<void> {
    while (await this.step()) {
      // keep going
    }
  }

  private async loop(): Promise<void> {
    let failures = 0
    const heartbeatMs = this.options.heartbeatMs ?? 30_000
    let lastHeartbeat = Date.now()
    let steps = 0
    while (!this.stopping) {
      let worked = false
      try {
        worked = await this.step()
        if (worked) steps++
        failures = 0
      } catch (error) {
        failures++
        this.options.logger.warn({ err: error, worker: this.id }, 'purge worker step failed; will retry')
      }
      if (Date.now() - lastHeartbeat >= heartbeatMs) {
        this.options.logger.debug({ worker: this.id, steps, failures }, 'purge worker alive')
        lastHeartbeat = Date.now()
        steps = 0
      }
      if (!worked && !this.stopping) {
        await this.sleep(
          failures > 0
            ? Math.min(
                this.options.pollMs * 2 ** failures,
                Math.max(this.options.pollMs, MAX_STEP_BACKOFF_MS),
              )
            : this.options.pollMs,
        )
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        // Forget this sleep's waker, or a kick arriving during the next step would be swallowed by it.
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      this.wake = () => {
        this.kicked = false
        done()
      }
    })
  }

  /**
   * Whether an operator paused deletions, looked up again at most once per poll while a long task runs, so a
   * pause stops this worker between two batches within about one poll.
   */
  private pausedSince(): boolean {
    if (Date.now() - this.pauseCheckedAt >= this.options.pollMs) {
      this.pauseCheckedAt = Date.now()
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
  private async step(): Promise<boolean> {
    // An operator's pause holds every step, in every process sharing the database (one query per step).
    this.paused = await deletionsPaused(this.db)
    this.pauseCheckedAt = Date.now()
    if (this.paused) return false
    const now = new Date((this.options.clock ?? Date.now)()).toISOString()
    if (await startDueDeletion(this.db, now)) return true
    if (await abandonedImportsStep(this.db, { now: this.options.clock ?? Date.now })) return true
    if (await measureOne(this.db)) return true
    let completed: string[] | undefined
    const finalized = await finalizeOne(this.db, {
      slugQuarantineSeconds: this.options.slugQuarantineSeconds,
      onCompleted: (tables) => (completed = tables),
    })
    if (finalized) {
      if (completed) await reclaimAfterPurge(this.db, completed, this.reclaimOptions)
      return true
    }
    const objects = {
      owner: this.id,
      leaseMs: this.options.leaseMs,
      storage: this.options.storage,
      batch: this.options.objectBatch ?? 1000,
      logger: this.options.logger,
      shouldStop: () => this.stopping || this.pausedSince(),
      onObjects: this.options.onObjects,
    }
    if (await removeObjects(this.db, objects)) return true
    const leaseUntil = new Date(Date.now() + this.options.leaseMs).toISOString()
    const task = await claimTask(this.db, this.id, nowIso(), leaseUntil)
    if (!task) {
      await reclaimWhenIdle(this.db, this.reclaimOptions)
      return false
    }
    await markEraseOnStop(this.db)
    const deletion = await findDeletionOfTask(this.db, task)
    try {
      const outcome = await runTask(this.db, task, deletion.organization_id, {
        owner: this.id,
        leaseMs: this.options.leaseMs,
        sizer: this.sizer,
        shouldStop: () => this.stopping || this.pausedSince(),
        onBatch: this.options.onBatch,
        pauseMs: this.options.pauseMs,
        extend: this.extend,
      })
      if (outcome === 'done') this.kicked = true // the deletion may now be ready to complete
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.options.logger.warn({ task: task.id, worker: this.id }, error.message)
        return true
      }
      const retry = retryAt(deletion.attempts)
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
