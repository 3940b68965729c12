import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import type { DeletionStatus } from '../db/types.js'
import { findAnyDeletion, listAllDeletions, retryNow, setDeletionsPaused } from './repository.js'
import { receiptViews } from './service.js'

// What operators do to deletions from the command line (`npx orgspace deletions …`): they see every receipt,
// not only their own, and their pause is stored in the database, so every server and worker obeys it.

/** Why an operator's request cannot be done (no such deletion, a purge already started…): one line to act on. */
export class OperatorRefused extends Error {
  override name = 'OperatorRefused'
}

export async function deletionReceipts(db: Db, status?: DeletionStatus, limit = 100) {
  return receiptViews(db, await listAllDeletions(db, status, limit))
}

export async function deletionReceipt(db: Db, deletionId: string) {
  const row = await findAnyDeletion(db, deletionId.toLowerCase())
  if (!row) throw new OperatorRefused(`no deletion "${deletionId}"`)
  const [view] = await receiptViews(db, [row])
  return view
}

/** A failed deletion is tried again at the next poll instead of after its backoff. */
export async function retryDeletion(db: Db, deletionId: string) {
  if (!(await retryNow(db, deletionId.toLowerCase()))) {
    const receipt = await deletionReceipt(db, deletionId)
    throw new OperatorRefused(
      `deletion ${deletionId} is ${receipt?.status}; only a failed deletion is retried`,
    )
  }
  return deletionReceipt(db, deletionId)
}

/** Pauses (or resumes) every purge in every process sharing the database, within one poll. */
export async function pauseDeletions(db: Db, paused: boolean): Promise<void> {
  await setDeletionsPaused(db, paused, nowIso())
}
