import type { Db, Trx } from '../db/connect.js'
import { isId, newId, nowIso } from '../db/ids.js'
import { changesBetween } from '../outbox/audit-details.js'
import { AppError } from '../core/errors.js'
import { parseSort, readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { adjustCounter } from '../organizations/repository.js'
import { accessOrganization } from '../organizations/access.js'
import { randomSuffix, slugify, slugProblem } from '../organizations/slug.js'
import { changeOrganization } from '../organizations/write.js'
import { removeAppBuilds } from './removal.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  countApps,
  deleteApp,
  findApp,
  insertApp,
  isAppSlugTaken,
  listApps,
  updateApp,
  type AppRow,
  type AppSortColumn,
} from './repository.js'

function appView(row: AppRow) {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const SORTABLE: Record<string, AppSortColumn> = {
  name: 'name',
  slug: 'slug',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
}

export async function listOrganizationApps(
  db: Db,
  auth: AuthContext,
  ref: string,
  query: PageRequest & { sort?: string; name?: string },
) {
  const sort = parseSort(query.sort, SORTABLE, { column: 'created_at', direction: 'desc' })
  const { org } = await accessOrganization(db, auth, ref, Permission.AppList)
  const filter = { organizationId: org.id, name: query.name || undefined }
  // Unfiltered, the maintained counter is the total: no COUNT(*) over the organization's apps.
  const total = filter.name === undefined ? org.apps_count : countApps(db, filter)
  return readPage(query, listApps(db, filter, sort, query), total, appView)
}

/**
 * App slugs follow the organization slug rules (same form, never an id, never a reserved word) but are
 * unique only within their organization. Checked before any lookup, so 3000 comes before 3001/4003.
 */
function validSlug(requested: string): string {
  const problem = slugProblem(requested)
  if (problem) throw AppError.validation([{ path: '/body/slug', message: problem }])
  return requested.toLowerCase()
}

async function claimSlug(trx: Trx, organizationId: string, slug: string, exceptAppId?: string) {
  if (await isAppSlugTaken(trx, organizationId, slug, exceptAppId)) throw AppError.conflict('slug is taken')
  return slug
}

async function generatedSlug(trx: Trx, organizationId: string, name: string): Promise<string> {
  const base = slugify(name)
  for (let candidate = base, attempt = 0; attempt < 5; attempt++, candidate = `${base}-${randomSuffix()}`) {
    if (!(await isAppSlugTaken(trx, organizationId, candidate))) return candidate
  }
  return `${base}-${randomSuffix()}${randomSuffix()}`
}

/** The app named by `appRef` (an id or a slug) inside the organization, or 3001. */
export async function existingApp(db: Db, organizationId: string, appRef: string): Promise<AppRow> {
  const ref = appRef.toLowerCase()
  const row = await findApp(db, organizationId, isId(ref) ? { id: ref } : { slug: ref })
  if (!row) throw AppError.notFound()
  return row
}

export async function getApp(db: Db, auth: AuthContext, ref: string, appRef: string) {
  const { org } = await accessOrganization(db, auth, ref, Permission.AppGet)
  return appView(await existingApp(db, org.id, appRef))
}

export interface AppInput {
  name?: string
  slug?: string
  description?: string
}

export async function createApp(db: Db, auth: AuthContext, ref: string, input: AppInput & { name: string }) {
  const requestedSlug = input.slug === undefined ? undefined : validSlug(input.slug)
  return changeOrganization(db, auth, ref, Permission.AppCreate, async ({ trx, org, audit, emit }) => {
    const now = nowIso()
    const app: AppRow = {
      id: newId(),
      name: input.name,
      slug:
        requestedSlug === undefined
          ? await generatedSlug(trx, org.id, input.name)
          : await claimSlug(trx, org.id, requestedSlug),
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    }
    await insertApp(trx, { ...app, organization_id: org.id })
    await adjustCounter(trx, org.id, 'apps_count', 1)
    await audit('app.create', 'app', app.id, { name: app.name, slug: app.slug })
    await emit('app.created', { app: appView(app) })
    return appView(app)
  })
}

export async function updateAppByRef(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  input: AppInput,
) {
  const requestedSlug = input.slug === undefined ? undefined : validSlug(input.slug)
  return changeOrganization(db, auth, ref, Permission.AppUpdate, async ({ trx, org, audit, emit }) => {
    const app = await existingApp(trx, org.id, appRef)
    const patch = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(requestedSlug !== undefined && requestedSlug !== app.slug
        ? { slug: await claimSlug(trx, org.id, requestedSlug, app.id) }
        : {}),
      updated_at: nowIso(),
    }
    await updateApp(trx, org.id, app.id, patch)
    const updated = { ...app, ...patch }
    const { name, slug, description } = app
    await audit('app.update', 'app', app.id, {
      name: updated.name,
      changes: changesBetween({ name, slug, description }, patch),
    })
    await emit('app.updated', { app: appView(updated) })
    return appView(updated)
  })
}

export async function removeApp(db: Db, auth: AuthContext, ref: string, appRef: string) {
  await changeOrganization(db, auth, ref, Permission.AppRemove, async ({ trx, org, audit, emit }) => {
    const app = await existingApp(trx, org.id, appRef)
    await removeAppBuilds(trx, org.id, app.id)
    await deleteApp(trx, org.id, app.id)
    await adjustCounter(trx, org.id, 'apps_count', -1)
    await audit('app.remove', 'app', app.id, { name: app.name, slug: app.slug })
    await emit('app.deleted', { app: appView(app) })
  })
  return { delete: 'OK' }
}
