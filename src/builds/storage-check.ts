import type { Db } from '../db/connect.js'
import { buildExists, buildsOfOrganization, organizationsWithBuilds } from './repository.js'
import { buildKey, parseBuildKey } from '../storage/keys.js'
import { pendingRemovals } from '../storage/removals.js'
import type { ObjectStorage, StoredObject } from '../storage/storage.js'

// `orgspace storage check`: storage and the builds table must agree. A stray is an object no build row owns (a
// write interrupted by a crash, a bug); a missing object is a build row whose bytes are gone. Objects the removal
// queue already holds (deleted builds, apps and organizations, uploads in flight) are neither.

export interface CheckResult {
  strays: StoredObject[]
  missing: string[]
  /** Objects left alone because a removal of them is queued (or an upload to them is in flight). */
  pending: number
}

/** Whether a key is covered by a queued removal: the same key, or a prefix of it. */
async function queuedCover(db: Db): Promise<(key: string) => boolean> {
  const removals = await pendingRemovals(db)
  const keys = new Set(removals.filter((r) => r.kind !== 'prefix').map((r) => r.object_key))
  const prefixes = removals.filter((r) => r.kind === 'prefix').map((r) => r.object_key)
  // An unfinished filesystem write is `<key>.partial`: it is its key's.
  return (key) => {
    const owner = key.replace(/\.partial$/, '')
    return keys.has(owner) || prefixes.some((prefix) => key.startsWith(prefix))
  }
}

/**
 * Compares storage with the builds table one organization at a time: a first listing finds which organizations
 * storage holds (only their ids are kept), then each organization's prefix is listed and compared with its builds.
 * Memory holds one organization's builds, never the whole storage, and nothing relies on the listing's order.
 */
export async function checkStorage(db: Db, storage: ObjectStorage): Promise<CheckResult> {
  const queued = await queuedCover(db)
  const result: CheckResult = { strays: [], missing: [], pending: 0 }
  const organizations = new Set<string>()
  for await (const page of storage.list(''))
    for (const object of page) {
      const [organizationId = '', ...rest] = object.key.split('/')
      // A key outside any folder is nobody's: a stray, found here since no organization's listing shows it.
      if (rest.length === 0 && !queued(object.key)) result.strays.push(object)
      else organizations.add(organizationId)
    }
  for (const organizationId of await organizationsWithBuilds(db)) organizations.add(organizationId)

  for (const organizationId of organizations) {
    const objects = new Map<string, StoredObject>()
    for await (const page of storage.list(`${organizationId}/`))
      for (const object of page) {
        if (queued(object.key)) result.pending++
        else objects.set(object.key, object)
      }
    const rows = await buildsOfOrganization(db, organizationId)
    const owned = new Set(rows.map((row) => buildKey(organizationId, row.app_id, row.id)))
    for (const [key, object] of objects) if (!owned.has(key)) result.strays.push(object)
    for (const key of owned) if (!objects.has(key) && !queued(key)) result.missing.push(key)
  }
  return result
}

/**
 * Removes strays, checking each again just before: never an object whose build exists (it may have committed since
 * the listing) or whose removal or upload is now queued. Returns how many went.
 */
export async function removeStrays(db: Db, storage: ObjectStorage, strays: StoredObject[]): Promise<number> {
  const queued = await queuedCover(db)
  const doomed: string[] = []
  for (const { key } of strays) {
    const build = parseBuildKey(key)
    if (queued(key)) continue
    if (build && (await buildExists(db, build.organizationId, build.appId, build.buildId))) continue
    doomed.push(key)
  }
  await storage.remove(doomed)
  return doomed.length
}
