import type { Trx } from '../db/connect.js'
import { adjustCounter } from '../organizations/repository.js'
import { appPrefix } from '../storage/keys.js'
import { enqueueRemoval } from '../storage/removals.js'

/**
 * An app is being deleted, in `trx`, under the organization's write lock: what hangs off it goes first — its
 * builds (their objects through the removal queue, written in this same transaction) and its app tokens.
 */
export async function removeAppBuilds(trx: Trx, organizationId: string, appId: string): Promise<void> {
  const bytes = await deleteBuildsOfApp(trx, organizationId, appId)
  await deleteTokensOfApp(trx, organizationId, appId)
  await enqueueRemoval(trx, { organizationId, kind: 'prefix', key: appPrefix(organizationId, appId) })
  if (bytes !== 0) await adjustCounter(trx, organizationId, 'builds_bytes', -bytes)
}

// The app's dependents, deleted as a foreign key's cascade would: builds (returning their bytes) and app tokens.

/** Deletes the app's builds; returns their bytes. */
async function deleteBuildsOfApp(trx: Trx, organizationId: string, appId: string): Promise<number> {
  const row = await trx
    .selectFrom('builds')
    .select((eb) => eb.fn.sum<number>('size').as('bytes'))
    .where('organization_id', '=', organizationId)
    .where('app_id', '=', appId)
    .executeTakeFirst()
  await trx
    .deleteFrom('builds')
    .where('organization_id', '=', organizationId)
    .where('app_id', '=', appId)
    .execute()
  return Number(row?.bytes ?? 0)
}

/** The app is being deleted: its tokens go in the same transaction. */
async function deleteTokensOfApp(trx: Trx, organizationId: string, appId: string): Promise<void> {
  await trx
    .deleteFrom('app_tokens')
    .where('organization_id', '=', organizationId)
    .where('app_id', '=', appId)
    .execute()
}
