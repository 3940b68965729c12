import { sql } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { AppsTable } from '../db/types.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { containing, countRows, exists, onPage } from '../db/query.js'

export type AppSortColumn = 'name' | 'slug' | 'created_at' | 'updated_at'

export interface AppFilter {
  organizationId: string
  name?: string
}

export type AppRef = { id: string } | { slug: string }

function appsQuery(db: Db, filter: AppFilter) {
  return db
    .selectFrom('apps')
    .where('organization_id', '=', filter.organizationId)
    .$if(filter.name !== undefined, (q) => q.where(sql`lower(name)`, 'like', containing(filter.name ?? '')))
}

const COLUMNS = ['id', 'name', 'slug', 'description', 'created_at', 'updated_at'] as const

export function listApps(db: Db, filter: AppFilter, sort: Sort<AppSortColumn>, page: PageRequest) {
  const ordered = appsQuery(db, filter).select(COLUMNS).orderBy(sort.column, sort.direction)
  return onPage(ordered.orderBy('id', sort.direction), page).execute()
}

export type AppRow = Awaited<ReturnType<typeof listApps>>[number]

export async function countApps(db: Db, filter: AppFilter): Promise<number> {
  return countRows(appsQuery(db, filter))
}

/** An app of this organization only: another organization's app is as unknown as a made-up id. */
export function findApp(db: Db, organizationId: string, ref: AppRef): Promise<AppRow | undefined> {
  return appsQuery(db, { organizationId })
    .select(COLUMNS)
    .where((eb) => ('id' in ref ? eb('id', '=', ref.id) : eb('slug', '=', ref.slug)))
    .executeTakeFirst()
}

export async function isAppSlugTaken(
  db: Db,
  organizationId: string,
  slug: string,
  exceptAppId?: string,
): Promise<boolean> {
  const sameSlug = appsQuery(db, { organizationId }).select('id').where('slug', '=', slug)
  return exists(sameSlug.$if(exceptAppId !== undefined, (q) => q.where('id', '!=', exceptAppId ?? '')))
}

export async function insertApp(trx: Trx, row: AppsTable): Promise<void> {
  await trx.insertInto('apps').values(row).execute()
}

export async function updateApp(
  trx: Trx,
  organizationId: string,
  id: string,
  patch: Partial<Pick<AppsTable, 'name' | 'slug' | 'description'>> & { updated_at: string },
): Promise<void> {
  await trx
    .updateTable('apps')
    .set(patch)
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}

export async function deleteApp(trx: Trx, organizationId: string, id: string): Promise<void> {
  await trx.deleteFrom('apps').where('organization_id', '=', organizationId).where('id', '=', id).execute()
}
