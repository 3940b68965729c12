import type { Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { BuildsTable } from '../db/types.js'
import { countRows } from '../db/query.js'

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
  sort: { column: BuildSortColumn; direction: 'asc' | 'desc' },
  offset: number,
  limit: number,
): Promise<BuildWithUploader[]> {
  return buildsOfApp(db, organizationId, appId)
    .selectAll('builds')
    .select('users.email as uploader_email')
    .orderBy(`builds.${sort.column}`, sort.direction)
    .orderBy('builds.id', sort.direction)
    .offset(offset)
    .limit(limit)
    .execute()
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
  const row = await db
    .selectFrom('builds')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('app_id', '=', appId)
    .where('id', '=', buildId)
    .executeTakeFirst()
  return row !== undefined
}
