import type { Db } from '../db/connect.js'
import { buildExists, buildsOfOrganization, organizationsWithBuilds } from '../builds/repository.js'
import { buildKey, parseBuildKey } from './keys.js'
import { pendingRemovals } from './removals.js'
import type { ObjectStorage, StoredObject } from './storage.js'

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
 * Compares storage with the builds table, one organization at a time (a listing comes in key order, so each
 * organization's objects are together): memory holds one organization's builds, never the whole storage.
 */
export async function checkStorage(db: Db, storage: ObjectStorage): Promise<CheckResult> {
  const queued = await queuedCover(db)
  const result: CheckResult = { strays: [], missing: [], pending: 0 }
  const seen = new Set<string>()
  let current: { organizationId: string; keys: Map<string, StoredObject> } | undefined

  const settle = async () => {
    if (!current) return
    const rows = await buildsOfOrganization(db, current.organizationId)
    const owned = new Set(rows.map((row) => buildKey(current?.organizationId ?? '', row.app_id, row.id)))
    for (const [key, object] of current.keys) if (!owned.has(key)) result.strays.push(object)
    for (const key of owned) if (!current.keys.has(key) && !queued(key)) result.missing.push(key)
  }

  for await (const page of storage.list('')) {
    for (const object of page) {
      if (queued(object.key)) {
        result.pending++
        continue
      }
      const organizationId = object.key.split('/')[0] ?? ''
      if (current?.organizationId !== organizationId) {
        await settle()
        current = { organizationId, keys: new Map() }
        seen.add(organizationId)
      }
      current.keys.set(object.key, object)
    }
  }
  await settle()

  // Organizations with builds but no object at all.
  for (const organizationId of await organizationsWithBuilds(db)) {
    if (seen.has(organizationId)) continue
    for (const row of await buildsOfOrganization(db, organizationId)) {
      const key = buildKey(organizationId, row.app_id, row.id)
      if (!queued(key)) result.missing.push(key)
    }
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
