import type { Db } from '../db/connect.js'
import { eraseDataKey } from '../encryption/erasure.js'
import {
  claimRemoval,
  dropRemovalsUnder,
  finishRemoval,
  pendingUploadDeadline,
  recordRemovalProgress,
  releaseRemoval,
  type ObjectRemoval,
} from '../storage/removals.js'
import type { ObjectStorage, StoredObject } from '../storage/storage.js'
import { failureReason, LeaseLost, retryAt } from './purge.js'
import { isoAt, type Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'

// The purge's storage step: removing what the object outbox (storage/removals.ts) says must go. A deleted
// organization's receipt waits for it: the purge completes only once a listing of the
// organization's prefix has come back empty, with no upload still able to add to it (see `objectsGone` in
// storage/removals.ts). Storage that cannot be reached fails closed: the removal is retried with backoff and the
// receipt stays `purging`, saying why.

export interface ObjectRun {
  owner: string
  leaseMs: number
  clock: Clock
  storage: ObjectStorage
  /** Objects listed and removed per step of a prefix. */
  batch: number
  logger: Logger
  shouldStop(): boolean
  onObjects?(count: number): void
}

/** How long the organization's prefix waits, after its uploads' deadline, before it is listed again. */
const AFTER_UPLOADS_MS = 1_000

/** Claims one due removal and carries it out. False when none was due. */
export async function removeObjects(db: Db, run: ObjectRun): Promise<boolean> {
  const removal = await claimRemoval(db, run.owner, isoAt(run.clock), leaseUntil(run))
  if (!removal) return false
  try {
    await carryOut(db, removal, run)
  } catch (error) {
    if (error instanceof LeaseLost) {
      run.logger.warn({ removal: removal.id, worker: run.owner }, error.message)
      return true
    }
    const retry = retryAt(removal.attempts, run.clock)
    const reason = failureReason(`removing ${removal.object_key} from storage`, error)
    run.logger.error(
      { err: error, removal: removal.id, key: removal.object_key, worker: run.owner, retryAt: retry },
      'object removal failed',
    )
    await releaseRemoval(db, removal, run.owner, retry, reason)
    if (removal.deletion_id !== null) await noteOnReceipt(db, removal.deletion_id, reason)
  }
  return true
}

function leaseUntil(run: ObjectRun): string {
  return isoAt(run.clock, run.leaseMs)
}

async function carryOut(db: Db, removal: ObjectRemoval, run: ObjectRun): Promise<void> {
  if (removal.kind !== 'prefix') {
    await run.storage.remove([removal.object_key])
    run.onObjects?.(1)
    return finishRemoval(db, removal, run.owner)
  }
  if (removal.deletion_id !== null)
    await eraseDataKey(db, removal.organization_id, removal.deletion_id, isoAt(run.clock))
  for (;;) {
    const page = await firstPage(run.storage.list(removal.object_key, run.batch))
    if (page.length === 0) break
    await run.storage.remove(page.map((object) => object.key))
    if (!(await recordRemovalProgress(db, removal, run.owner, page.length, leaseUntil(run))))
      throw new LeaseLost(removal.id)
    run.onObjects?.(page.length)
    if (run.shouldStop()) return releaseRemoval(db, removal, run.owner, isoAt(run.clock))
  }
  // The prefix is empty. An organization's is done only when no upload of it can still write: an upload in
  // flight when the organization was deleted either removes its own object or is removed at its deadline.
  if (removal.deletion_id !== null) {
    const deadline = await pendingUploadDeadline(db, removal.organization_id)
    if (deadline !== undefined) {
      const later = Math.max(Date.parse(deadline), run.clock.now()) + AFTER_UPLOADS_MS
      return releaseRemoval(db, removal, run.owner, new Date(later).toISOString())
    }
    await dropRemovalsUnder(db, removal)
  }
  await finishRemoval(db, removal, run.owner)
}

/** The first page of a listing; the rest is not read (it is listed again after this page is removed). */
async function firstPage(listing: AsyncIterable<StoredObject[]>): Promise<StoredObject[]> {
  for await (const page of listing) return page
  return []
}

/** The receipt says why its purge is waiting; it stays `purging` and is completed once storage is back. */
async function noteOnReceipt(db: Db, deletionId: string, reason: string): Promise<void> {
  await db
    .updateTable('deletions')
    .set({ error: reason })
    .where('id', '=', deletionId)
    .where('status', '!=', 'completed')
    .execute()
}
