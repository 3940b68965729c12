import type { Trx } from '../db/connect.js'
import { deleteTokensOfApp } from '../app-tokens/repository.js'
import { adjustCounter } from '../organizations/repository.js'
import { appPrefix } from '../storage/keys.js'
import { enqueueRemoval } from '../storage/removals.js'
import { deleteBuildsOfApp } from './repository.js'

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
