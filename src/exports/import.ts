import { hash, randomBytes } from 'node:crypto'
import type { Db } from '../db/connect.js'
import { WritePipeline } from '../db/write-pipeline.js'
import { nowIso } from '../db/ids.js'
import { slugUnavailable } from '../organizations/slug-availability.js'
import { slugProblem } from '../organizations/slug.js'
import type { ObjectStorage } from '../storage/storage.js'
import { systemClock, type Clock } from '../core/clock.js'
import { findOrCreateUser } from '../users/service.js'
import { discardImport } from '../deletion/imports.js'
import type { Manifest } from './format.js'
import { checkArchive, type ArchiveLimits } from './archive-rules.js'
import { ImportLost, insertImportingOrganization, keepImportLeased } from './import-lease.js'
import { Writer } from './import-writer.js'
import { ArchiveRefused, readArchive } from './reader.js'

// `orgspace import`: an archive becomes a new organization. The archive is read through once and checked whole
// (reader.ts, archive-rules.ts) before anything is written. Then it is read again and written in bounded
// transactions into an organization nobody sees until the last one makes it live (import-lease.ts). Every id is
// new; `mapId` derives it from the old one and a salt of this import, so references (an audit event's entity, a
// build's app) stay consistent without a table of millions of ids in memory. If the writing fails, the
// half-written organization goes to the purge like a deleted one. That is why a refused archive is refused by the
// first read and not while writing: a failed writing leaves a receipt, a purge, and the accounts it created for
// the archive's people; a refused archive must leave nothing (import-refusals.test.ts).

export interface ImportOptions {
  /** Email of the new organization's owner; the user is created if new. */
  owner: string
  /** The new organization's slug; the archive's when left out. */
  slug?: string
  limits: ArchiveLimits
  clock?: Clock
}

export interface ImportProgress {
  /** Records and builds written so far, of `total`. */
  done: number
  total: number
  step: string
}

export interface ImportResult {
  organizationId: string
  manifest: Manifest
}

/** New 24-hex ids for old ones: the old id's seconds (creation order is kept), then 8 bytes of a salted hash. */
function idMapper(salt: Buffer): (old: string) => string {
  // One-shot `hash`, not a Hash object per id: every row's id (and every audit event's entity) goes through here.
  const prefix = salt.toString('hex')
  return (old) => old.slice(0, 8) + hash('sha256', prefix + old).slice(0, 16)
}

export async function importArchive(
  db: Db,
  storage: ObjectStorage,
  path: string,
  options: ImportOptions,
  onProgress: (progress: ImportProgress) => void = () => undefined,
): Promise<ImportResult> {
  const manifest = await checkArchive(path, options.limits)
  const clock = options.clock ?? systemClock
  const slug = (options.slug ?? manifest.organization.slug ?? '').toLowerCase()
  const problem = slug === '' ? 'is missing: pass --slug' : slugProblem(slug)
  if (problem) throw new ArchiveRefused(`the slug "${slug}" ${problem}`)
  const unavailable = await slugUnavailable(db, slug)
  if (unavailable) throw new ArchiveRefused(`the slug "${slug}" ${unavailable}: pass another with --slug`)

  const { user: owner } = await findOrCreateUser(db, options.owner)
  const mapId = idMapper(randomBytes(16))
  const organizationId = mapId(manifest.organization.id)
  await insertImportingOrganization(
    db,
    clock,
    {
      id: organizationId,
      name: manifest.organization.name,
      slug,
      web_site_url: manifest.organization.webSiteUrl,
      created_at: manifest.organization.createdAt,
      updated_at: nowIso(),
      deleted_at: null,
      legal_hold_reason: null,
      legal_hold_at: null,
    },
    owner.id,
  )

  const total = Object.values(manifest.counts).reduce((sum, n) => sum + n, 0) + manifest.counts.builds
  let done = 0
  const writer = new Writer(db, storage, clock, organizationId, owner.id, owner.email, mapId)
  const stopLease = keepImportLeased(db, clock, organizationId)
  // A page is written while the reader parses and checks the next, where the database allows (db/write-pipeline.ts).
  const pipeline = new WritePipeline(db)
  try {
    await readArchive(path, {
      records: (resource, records) =>
        pipeline.push(async () => {
          await writer.records(resource, records)
          done += records.length
          onProgress({ done, total, step: resource })
        }),
      async build(applicationId, buildId, bytes) {
        await pipeline.drain()
        await writer.build(applicationId, buildId, bytes)
        done++
        onProgress({ done, total, step: 'builds' })
      },
    })
    await pipeline.drain()
    await writer.finish(manifest)
  } catch (error) {
    // The page in flight settles before the import is discarded.
    await pipeline.settle()
    if (!(error instanceof ImportLost)) await discardImport(db, organizationId)
    throw error
  } finally {
    stopLease()
  }
  return { organizationId, manifest }
}
