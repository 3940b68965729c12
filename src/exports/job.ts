import { PassThrough } from 'node:stream'
import { isoAt, type Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { Db } from '../db/connect.js'
import { workerId, type Job, type Round } from '../jobs/loop.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { writeInOrganization } from '../organizations/write.js'
import { enqueueRemoval, forgetUpload, settleUpload } from '../storage/removals.js'
import type { ObjectStorage } from '../storage/storage.js'
import { writeArchive } from './archive.js'
import { claimExport, completeExport, failExport, renewExport, type ExportRow } from './repository.js'
import { HEARTBEAT_MS, LEASE_MS, STALL_MS } from './service.js'

// Exports are a job on the background runtime: an accepted export is a row waiting in the exports queue, and the
// export job of any process claims it, writes its archive and completes it. A running export renews its lease every
// HEARTBEAT_MS; the renewal fails once the organization is no longer live (DELETE), and the export then stops and
// removes what it wrote — the organization's purge waits for it (its removal is an upload's, storage/removals.ts).
// An export whose process died is taken over by another once its lease runs out, and written again from nothing.

/** Thrown into a running export whose organization was deleted. */
class ExportStopped extends Error {
  constructor() {
    super('the organization was deleted while it was being exported')
    this.name = 'ExportStopped'
  }
}

/** Thrown into a running export that another export job took over (this one stalled past its lease). */
class ExportLost extends Error {
  constructor() {
    super('another process took the export over')
    this.name = 'ExportLost'
  }
}

export interface ExportJobOptions {
  db: Db
  storage: ObjectStorage
  ttlSeconds: number
  log: Logger
  clock: Clock
  /** Exports this process writes at once. */
  concurrency: number
  /** An export ended: the loop may claim another at once (its kick). */
  onEnded?: () => void
}

export class ExportJob implements Job {
  readonly name = 'export'
  readonly id = workerId()
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()

  constructor(private readonly options: ExportJobOptions) {}

  /** Claims one waiting export, if this process writes fewer than its concurrency, and starts writing it. */
  async step(round: Round): Promise<boolean> {
    const { db, clock, log, concurrency, onEnded } = this.options
    if (round.shouldStop() || this.running.size >= concurrency) return false
    const row = await claimExport(db, this.id, isoAt(clock), isoAt(clock, LEASE_MS))
    if (!row) return false
    const controller = new AbortController()
    const done = runExport(this.options, row, this.id, controller)
      .catch((error: unknown) => log.error({ err: error, export: row.id }, 'export failed'))
      .finally(() => {
        this.running.delete(row.id)
        onEnded?.()
      })
    this.running.set(row.id, { controller, done })
    return true
  }

  /** Stops every running export (each removes what it wrote) and waits for them. */
  async stopped(): Promise<void> {
    const jobs = [...this.running.values()]
    for (const { controller } of jobs) controller.abort(new Error('the server is stopping'))
    await Promise.all(jobs.map(({ done }) => done))
  }

  /** Until no export is waiting and none is being written. */
  async drain(): Promise<void> {
    const round: Round = { polled: true, shouldStop: () => false }
    for (;;) {
      while (await this.step(round)) {
        // claim while there is room
      }
      const jobs = [...this.running.values()]
      if (jobs.length === 0 && !(await this.step(round))) return
      await Promise.all(jobs.map(({ done }) => done))
    }
  }
}

async function runExport(
  options: ExportJobOptions,
  row: ExportRow,
  owner: string,
  controller: AbortController,
): Promise<void> {
  const { db, storage, ttlSeconds, log, clock } = options
  const organizationId = row.organization_id
  let progress = 0
  const renew = async () => {
    const renewal = await renewExport(
      db,
      row,
      owner,
      progress,
      isoAt(clock),
      isoAt(clock, LEASE_MS),
      isoAt(clock, STALL_MS),
    ).catch(() => 'alive' as const)
    if (renewal === 'stopped') controller.abort(new ExportStopped())
    if (renewal === 'lost') controller.abort(new ExportLost())
  }
  let renewing = Promise.resolve()
  const heartbeat = setInterval(() => {
    renewing = renewing.then(renew)
  }, HEARTBEAT_MS)
  const body = new PassThrough()
  // Its errors reach this function through the storage's write and the archive's own rejection.
  body.on('error', () => undefined)
  try {
    // A taken-over export's removal may be close to its deadline: it is pushed before anything is written, and an
    // organization deleted before the export was claimed stops it here.
    renewing = renew()
    await renewing
    if (controller.signal.aborted) throw controller.signal.reason
    const [archive, stored] = await Promise.allSettled([
      writeArchive(db, storage, organizationId, body, {
        signal: controller.signal,
        onProgress: (done, total) => (progress = Math.min(99, Math.floor((done * 100) / Math.max(total, 1)))),
      }).catch((error: unknown) => {
        // Failed before the archive's pipeline took the body over: the storage's write must end too.
        body.destroy(error instanceof Error ? error : new Error(String(error)))
        throw error
      }),
      storage.put(row.object_key, body, 'application/gzip'),
    ])
    if (archive.status === 'rejected') throw archive.reason
    if (stored.status === 'rejected') throw stored.reason
    const completedAt = clock.now()
    const now = new Date(completedAt).toISOString()
    const expiresAt = new Date(completedAt + ttlSeconds * 1000).toISOString()
    await writeInOrganization(db, organizationId, async (trx) => {
      const completed = await completeExport(trx, row, owner, {
        size: archive.value.size,
        sha256: archive.value.sha256,
        now,
        expiresAt,
      })
      if (!completed) throw new ExportLost()
      if (row.removal_id === null || !(await settleUpload(trx, organizationId, row.removal_id)))
        throw new ExportStopped()
      // The archive leaves storage at its expiry through the same queue as every other object.
      await enqueueRemoval(trx, {
        organizationId,
        kind: 'object',
        key: row.object_key,
        availableAt: expiresAt,
      })
    })
  } catch (error) {
    body.destroy()
    const reason = controller.signal.aborted ? controller.signal.reason : error
    // The export is another job's now, writing the same object: it is left to that one.
    if (reason instanceof ExportLost || error instanceof ExportLost)
      return log.warn({ export: row.id }, 'export taken over by another process')
    // Storage that cannot remove it now: the queued removal stays, and the worker removes it at its deadline.
    const removed = await storage.remove([row.object_key]).then(
      () => true,
      (failure: unknown) => (
        log.warn({ err: failure, export: row.id }, 'archive left for the worker'),
        false
      ),
    )
    if (removed && row.removal_id !== null) await forgetUpload(db, organizationId, row.removal_id)
    const message = reason instanceof Error ? reason.message : String(reason)
    await failExport(db, row, owner, message, isoAt(clock))
    // An organization deleted meanwhile (its write lock answers 3001) is the routine end of a race, not a failure.
    const routine =
      reason instanceof ExportStopped ||
      (reason instanceof AppError && reason.code === ErrorCode.EntityNotFound)
    if (!routine) log.error({ err: error, export: row.id }, 'export failed')
  } finally {
    clearInterval(heartbeat)
    await renewing
  }
}
