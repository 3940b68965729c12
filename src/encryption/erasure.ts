import type { Db } from '../db/connect.js'
import { destroyDataKey } from './repository.js'

/**
 * The purge's first storage step (docs/api.md §13): the deleted organization's data key goes before any of its objects
 * is removed, so from then on no copy of them anywhere (bucket versions, replicas, backups) can be decrypted. Done
 * again, harmlessly, by a purge resumed after a crash: the removal of the objects starts only once it committed.
 */
export async function eraseDataKey(
  db: Db,
  organizationId: string,
  deletionId: string,
  now: string,
): Promise<void> {
  await db.transaction().execute((trx) => destroyDataKey(trx, organizationId, deletionId, now))
}
