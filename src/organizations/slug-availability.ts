import type { Db } from '../db/connect.js'
import { findSlugHolder } from './repository.js'

/**
 * Why `slug` (lower-cased, of valid form) cannot be claimed now, or null when it can. A slug is unavailable while
 * a live organization uses it, while a deleted organization's purge has not completed and it held its slug (a
 * grace period or a quarantine is set, docs/api.md §8), and for SLUG_QUARANTINE_SECONDS after that purge — so an
 * old link never reaches a new owner.
 */
export async function slugUnavailable(
  db: Db,
  slug: string,
  exceptOrganizationId?: string,
): Promise<string | null> {
  const holder = await findSlugHolder(db, slug)
  if (holder && holder.id !== exceptOrganizationId) {
    if (holder.status === 'active') return 'is taken'
    if (holder.status === 'importing') return 'is taken by an import in progress'
    const deletion = await findOpenDeletionOf(db, holder.id)
    return deletion?.status === 'scheduled' && deletion.purge_at
      ? `is held by a deleted organization that can be restored until ${deletion.purge_at}`
      : 'is held by a deleted organization until its purge completes'
  }
  const quarantine = await findSlugQuarantine(db, slug, new Date().toISOString())
  return quarantine?.slug_held_until
    ? `belonged to a deleted organization and is free again after ${quarantine.slug_held_until}`
    : null
}

// A deletion's receipt holds its organization's slug (while the deletion is open, and in quarantine after it): the
// receipts are written by the deletion module and read here, where a slug is decided.

/** The deletion of this organization that has not completed (nor been restored), if any. */
function findOpenDeletionOf(db: Db, organizationId: string) {
  return db
    .selectFrom('deletions')
    .select(['id', 'status', 'purge_at'])
    .where('organization_id', '=', organizationId)
    .where('status', 'in', ['scheduled', 'purging', 'failed'])
    .executeTakeFirst()
}

/** A completed deletion whose organization's slug is still quarantined at `now`. */
function findSlugQuarantine(db: Db, slug: string, now: string) {
  return db
    .selectFrom('deletions')
    .select('slug_held_until')
    .where('organization_slug', '=', slug)
    .where('slug_held_until', '>', now)
    .orderBy('slug_held_until', 'desc')
    .executeTakeFirst()
}
