import type { Db } from '../db/connect.js'
import { eraseDataKey } from '../encryption/erasure.js'
import {
  claimRemoval,
  claimRemovals,
  dropRemovalsUnder,
  finishRemoval,
  finishRemovals,
  pendingUploadDeadline,
  recordRemovalProgress,
  releaseRemoval,
  type ObjectRemoval,
} from '../storage/removals.js'
import type { ObjectStorage } from '../storage/storage.js'
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

/** Claims due removals and carries them out: many single objects at once, or one prefix. False when none was due. */
export async function removeObjects(db: Db, run: ObjectRun): Promise<boolean> {
  const singles = await claimRemovals(db, run.owner, isoAt(run.clock), leaseUntil(run), run.batch)
  if (singles.length > 0) {
    await removeSingles(db, singles, run)
    return true
  }
  const removal = await claimRemoval(db, run.owner, isoAt(run.clock), leaseUntil(run))
  if (!removal) return false
  try {
    await carryOut(db, removal, run)
  } catch (error) {
    if (error instanceof LeaseLost) {
      run.logger.warn({ removal: removal.id, worker: run.owner }, error.message)
      return true
    }
    await failed(db, [removal], run, removal.object_key, error)
  }
  return true
}

/** Single objects, in one call to the storage (S3's DeleteObjects takes up to 1,000 keys). */
async function removeSingles(db: Db, removals: ObjectRemoval[], run: ObjectRun): Promise<void> {
  try {
    await run.storage.remove(removals.map((removal) => removal.object_key))
  } catch (error) {
    const what = removals.length === 1 ? (removals[0]?.object_key ?? '') : `${removals.length} objects`
    return failed(db, removals, run, what, error)
  }
  run.onObjects?.(removals.length)
  await finishRemovals(db, removals, run.owner)
}

/** Storage failed: the removals are retried with backoff, and a deletion's receipt says why it waits. */
async function failed(
  db: Db,
  removals: ObjectRemoval[],
  run: ObjectRun,
  what: string,
  error: unknown,
): Promise<void> {
  const reason = failureReason(`removing ${what} from storage`, error)
  for (const removal of removals) {
    const retry = retryAt(removal.attempts, run.clock)
    run.logger.error(
      { err: error, removal: removal.id, key: removal.object_key, worker: run.owner, retryAt: retry },
      'object removal failed',
    )
    await releaseRemoval(db, removal, run.owner, retry, reason)
    if (removal.deletion_id !== null) await noteOnReceipt(db, removal.deletion_id, reason)
  }
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
  // One page at a time, listed again after each removal until a listing comes back empty, so objects written
  // meanwhile (an upload finishing) are found. Keys only: sizes cost a call per file.
  for (;;) {
    const page = await firstPage(run.storage.keys(removal.object_key, run.batch))
    if (page.length === 0) break
    await run.storage.remove(page)
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
async function firstPage(listing: AsyncIterable<string[]>): Promise<string[]> {
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
