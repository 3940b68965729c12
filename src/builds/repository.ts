import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { BuildsTable } from '../db/types.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { countRows, exists, onPage } from '../db/query.js'

export type BuildRow = Selectable<BuildsTable>
/** A build with its uploader's email, as the API shows it. */
export type BuildWithUploader = BuildRow & { uploader_email: string }

export type BuildSortColumn = 'created_at' | 'size' | 'file_name'

function buildsOfApp(db: Db, organizationId: string, appId: string) {
  return db
    .selectFrom('builds')
    .innerJoin('users', 'users.id', 'builds.uploaded_by')
    .where('builds.organization_id', '=', organizationId)
    .where('builds.app_id', '=', appId)
}

export function listBuilds(
  db: Db,
  organizationId: string,
  appId: string,
  sort: Sort<BuildSortColumn>,
  page: PageRequest,
): Promise<BuildWithUploader[]> {
  const ordered = buildsOfApp(db, organizationId, appId)
    .selectAll('builds')
    .select('users.email as uploader_email')
    .orderBy(`builds.${sort.column}`, sort.direction)
  return onPage(ordered.orderBy('builds.id', sort.direction), page).execute()
}

export function countBuilds(db: Db, organizationId: string, appId: string): Promise<number> {
  return countRows(buildsOfApp(db, organizationId, appId))
}

/** A build of this app only: another app's (or organization's) build is as unknown as a made-up id. */
export function findBuild(
  db: Db,
  organizationId: string,
  appId: string,
  buildId: string,
): Promise<BuildWithUploader | undefined> {
  return buildsOfApp(db, organizationId, appId)
    .selectAll('builds')
    .select('users.email as uploader_email')
    .where('builds.id', '=', buildId)
    .executeTakeFirst()
}

export async function insertBuild(trx: Trx, row: BuildRow): Promise<void> {
  await trx.insertInto('builds').values(row).execute()
}

export async function deleteBuild(trx: Trx, organizationId: string, buildId: string): Promise<void> {
  await trx
    .deleteFrom('builds')
    .where('organization_id', '=', organizationId)
    .where('id', '=', buildId)
    .execute()
}

/** Every build of the organization, by app and id: what `storage check` compares with a listing. */
export function buildsOfOrganization(db: Db, organizationId: string) {
  return db
    .selectFrom('builds')
    .select(['app_id', 'id', 'size'])
    .where('organization_id', '=', organizationId)
    .orderBy('app_id')
    .orderBy('id')
    .execute()
}

/** The organizations that have builds. */
export async function organizationsWithBuilds(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('builds').select('organization_id').distinct().execute()
  return rows.map((row) => row.organization_id)
}

export async function buildExists(
  db: Db,
  organizationId: string,
  appId: string,
  buildId: string,
): Promise<boolean> {
  return exists(
    db
      .selectFrom('builds')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('app_id', '=', appId)
      .where('id', '=', buildId),
  )
}

/**
 * Up to `limit` of the organization's builds created before `before` that are not among the newest `keepLatest`
 * of their app (retention, docs/api.md §15), oldest first. A plain read: retention takes the write lock only to delete
 * them (see retention/step.ts).
 */
export function expiredBuilds(
  db: Db,
  organizationId: string,
  before: string,
  keepLatest: number,
  limit: number,
) {
  const ranked = db
    .selectFrom('builds')
    .select(['id', 'app_id', 'size', 'created_at'])
    .select(sql<number>`row_number() over (partition by app_id order by created_at desc, id desc)`.as('rank'))
    .where('organization_id', '=', organizationId)
  return db
    .selectFrom(ranked.as('ranked'))
    .select(['id', 'app_id', 'size'])
    .where('rank', '>', keepLatest)
    .where('created_at', '<', before)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** Deletes these builds of the organization; returns those it found (another request may have deleted some). */
export async function deleteBuildsById(trx: Trx, organizationId: string, buildIds: string[]) {
  if (buildIds.length === 0) return []
  return trx
    .deleteFrom('builds')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', buildIds)
    .returning(['id', 'app_id', 'size'])
    .execute()
}
