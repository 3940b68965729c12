import { PassThrough } from 'node:stream'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { writeInOrganization } from '../organizations/write.js'
import { enqueueRemoval, forgetUpload, settleUpload } from '../storage/removals.js'
import type { ObjectStorage } from '../storage/storage.js'
import { writeArchive } from './archive.js'
import { completeExport, failExport, renewExport, type ExportRow } from './repository.js'
import { HEARTBEAT_MS, STALL_MS } from './service.js'

// Exports run in the background of the process that accepted them. A running export renews its claim every
// HEARTBEAT_MS; the renewal fails once the organization is no longer live (DELETE), and the export then stops and
// removes what it wrote — the organization's purge waits for it (its removal is an upload's, storage/removals.ts).

/** Thrown into a running export whose organization was deleted (or whose claim was lost). */
class ExportStopped extends Error {
  constructor() {
    super('the organization was deleted while it was being exported')
    this.name = 'ExportStopped'
  }
}

export class ExportRunner {
  private readonly running = new Map<string, { controller: AbortController; job: Promise<void> }>()

  constructor(
    private readonly db: Db,
    private readonly storage: ObjectStorage,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  start(row: ExportRow): void {
    const controller = new AbortController()
    const job = runExport(this.db, this.storage, row, this.ttlSeconds, controller, this.log, this.clock)
      .catch((error: unknown) => this.log.error({ err: error, export: row.id }, 'export failed'))
      .finally(() => this.running.delete(row.id))
    this.running.set(row.id, { controller, job })
  }

  /** Stops every running export (each removes what it wrote) and waits for them. */
  async close(): Promise<void> {
    const jobs = [...this.running.values()]
    for (const { controller } of jobs) controller.abort(new Error('the server is stopping'))
    await Promise.all(jobs.map(({ job }) => job))
  }
}

async function runExport(
  db: Db,
  storage: ObjectStorage,
  row: ExportRow,
  ttlSeconds: number,
  controller: AbortController,
  log: Logger,
  clock: Clock,
): Promise<void> {
  const organizationId = row.organization_id
  let progress = 0
  let renewing = Promise.resolve()
  const heartbeat = setInterval(() => {
    renewing = renewing.then(async () => {
      const now = clock.now()
      const alive = await renewExport(
        db,
        row,
        progress,
        new Date(now).toISOString(),
        new Date(now + STALL_MS).toISOString(),
      ).catch(() => true)
      if (!alive) controller.abort(new ExportStopped())
    })
  }, HEARTBEAT_MS)
  const body = new PassThrough()
  try {
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
    const now = new Date(clock.now())
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString()
    await writeInOrganization(db, organizationId, async (trx) => {
      if (row.removal_id === null || !(await settleUpload(trx, organizationId, row.removal_id)))
        throw new ExportStopped()
      await completeExport(trx, organizationId, row.id, {
        size: archive.value.size,
        sha256: archive.value.sha256,
        now: now.toISOString(),
        expiresAt,
      })
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
    // Storage that cannot remove it now: the queued removal stays, and the worker removes it at its deadline.
    const removed = await storage.remove([row.object_key]).then(
      () => true,
      (failure: unknown) => (
        log.warn({ err: failure, export: row.id }, 'archive left for the worker'),
        false
      ),
    )
    if (removed && row.removal_id !== null) await forgetUpload(db, organizationId, row.removal_id)
    const reason = controller.signal.aborted ? controller.signal.reason : error
    const message = reason instanceof Error ? reason.message : String(reason)
    await failExport(db, organizationId, row.id, message, nowIso())
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
