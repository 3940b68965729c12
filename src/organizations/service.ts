import { changesBetween } from '../outbox/audit-details.js'
import type { Db } from '../db/connect.js'
import { isId, newId, nowIso } from '../db/ids.js'
import type { Organization, OrganizationUpdate, Role, SubscriptionStatus } from '../db/types.js'
import { findCollaboratorOfUser, insertCollaborator, transferOwnership } from './membership.js'
import { recordAudit } from '../outbox/audit.js'
import { emitEvent } from '../outbox/emit.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { pageOf, parseSort, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  countMemberships,
  findOwners,
  findSubscriptionSummaries,
  insertOrganization,
  listMemberships,
  updateOrganization,
  type Membership,
  type OrganizationViewColumns,
  type OrganizationSortColumn,
} from './repository.js'
import { randomSuffix, slugify, slugProblem } from './slug.js'
import { slugUnavailable } from './slug-availability.js'
import { accessOrganizationView } from './access.js'
import { changeOrganization } from './write.js'
import { retentionChanges, retentionOf, retentionPatch } from './retention.js'
import type { Retention } from '../contract/api.js'

type Owner = { id: string; email: string }
type SubscriptionSummary = { id: string; plan: string; status: SubscriptionStatus }

/** The API shape of one organization, as its member `role` sees it. */
function viewOf(
  { org, role }: { org: OrganizationViewColumns; role: Role },
  owner: Owner | undefined,
  subscriptions: SubscriptionSummary[],
) {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug ?? '',
    webSiteUrl: org.web_site_url,
    owner: { id: owner?.id ?? '', email: owner?.email ?? '' },
    role,
    subscriptions: subscriptions.map((s) => ({ id: s.id, plan: s.plan, status: s.status })),
    counts: { apps: org.apps_count, devices: org.devices_count, collaborators: org.collaborators_count },
    retention: retentionOf(org),
    createdAt: org.created_at,
    updatedAt: org.updated_at,
  }
}

export type OrganizationView = ReturnType<typeof viewOf>

/** The API shape of organizations, with owners and subscriptions fetched for all of them in two queries. */
async function organizationViews(db: Db, memberships: Membership[]): Promise<OrganizationView[]> {
  if (memberships.length === 0) return []
  const ids = memberships.map((m) => m.org.id)
  const [owners, subscriptions] = await Promise.all([findOwners(db, ids), findSubscriptionSummaries(db, ids)])
  return memberships.map((membership) =>
    viewOf(
      membership,
      owners.find((o) => o.organization_id === membership.org.id),
      subscriptions.filter((s) => s.organization_id === membership.org.id),
    ),
  )
}

/** The organization as `organization.created|updated` events carry it. */
function eventView(org: Organization) {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug ?? '',
    webSiteUrl: org.web_site_url,
    createdAt: org.created_at,
    updatedAt: org.updated_at,
  }
}

async function organizationView(db: Db, membership: Membership): Promise<OrganizationView> {
  const [view] = await organizationViews(db, [membership])
  if (!view) throw new Error('organization view missing')
  return view
}

/** GET of one organization, the API's busiest read: token, membership, owner and subscriptions in one query. */
export async function getOrganization(db: Db, auth: AuthContext, ref: string): Promise<OrganizationView> {
  const read = await accessOrganizationView(db, auth, ref, Permission.OrganizationGet)
  return viewOf(read, read.owner, read.subscriptions)
}

const SORTABLE: Record<string, OrganizationSortColumn> = {
  name: 'name',
  slug: 'slug',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
}

export async function listOrganizations(
  db: Db,
  auth: AuthContext,
  query: PageRequest & { sort?: string; name?: string; slug?: string },
) {
  const sort = parseSort(query.sort, SORTABLE, { column: 'created_at', direction: 'desc' })
  const filter = {
    userId: auth.userId,
    onlyOrganizationId: auth.organizationId,
    name: query.name,
    slug: query.slug,
  }
  const [memberships, total] = await Promise.all([
    listMemberships(db, filter, sort, query),
    countMemberships(db, filter),
  ])
  return pageOf(await organizationViews(db, memberships), total, query)
}

/** The form of a requested slug is part of validation (3000), which comes before lookup and permission. */
function validateSlugForm(requested: string | undefined): void {
  const problem = requested === undefined ? null : slugProblem(requested)
  if (problem) throw AppError.validation([{ path: '/body/slug', message: problem }])
}

/** Checks a requested slug's form and availability; returns it lower-cased. */
async function claimableSlug(db: Db, requested: string, exceptOrganizationId?: string): Promise<string> {
  validateSlugForm(requested)
  const slug = requested.toLowerCase()
  const reason = await slugUnavailable(db, slug, exceptOrganizationId)
  if (reason) throw AppError.conflict(`slug ${reason}`)
  return slug
}

async function generatedSlug(db: Db, name: string): Promise<string> {
  const base = slugify(name)
  for (let candidate = base, attempt = 0; attempt < 5; attempt++, candidate = `${base}-${randomSuffix()}`) {
    if ((await slugUnavailable(db, candidate)) === null) return candidate
  }
  return `${base}-${randomSuffix()}${randomSuffix()}`
}

export async function checkSlug(db: Db, slug: string) {
  const problem = slugProblem(slug)
  if (problem) return { valid: false, reason: problem }
  const reason = await slugUnavailable(db, slug.toLowerCase())
  return reason ? { valid: false, reason } : { valid: true, reason: '' }
}

export interface OrganizationInput {
  name?: string
  slug?: string
  webSiteUrl?: string | null
  retention?: Partial<Retention>
}

export async function createOrganization(
  db: Db,
  auth: AuthContext,
  input: OrganizationInput & { name: string },
) {
  // A token scoped to one organization cannot reach beyond it, so it cannot found another.
  if (auth.organizationId !== null) throw new AppError(ErrorCode.Forbidden)
  const slug =
    input.slug !== undefined ? await claimableSlug(db, input.slug) : await generatedSlug(db, input.name)
  const now = nowIso()
  const org: Organization = {
    id: newId(),
    name: input.name,
    slug,
    web_site_url: input.webSiteUrl ?? null,
    status: 'active',
    apps_count: 0,
    devices_count: 0,
    collaborators_count: 1,
    builds_bytes: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    legal_hold_reason: null,
    legal_hold_at: null,
    import_lease_until: null,
    imported_by: null,
    retention_audit_days: null,
    retention_builds_days: null,
    retention_builds_keep_latest: null,
    retention_checked_at: null,
  }
  await db.transaction().execute(async (trx) => {
    await insertOrganization(trx, org)
    await insertCollaborator(trx, {
      id: newId(),
      organization_id: org.id,
      user_id: auth.userId,
      role: 'owner',
      created_at: now,
      updated_at: now,
    })
    await recordAudit(trx, {
      organizationId: org.id,
      action: 'organization.create',
      entity: 'organization',
      entityId: org.id,
      actorId: auth.userId,
      details: { name: org.name, slug: org.slug ?? undefined },
    })
    await emitEvent(trx, {
      type: 'organization.created',
      organization: eventView(org),
      actor: { id: auth.userId, email: auth.email },
      data: {},
    })
  })
  return organizationView(db, { org, role: 'owner' })
}

export async function updateOrganizationById(
  db: Db,
  auth: AuthContext,
  ref: string,
  input: OrganizationInput,
) {
  validateSlugForm(input.slug)
  const { org, role, patch } = await changeOrganization(
    db,
    auth,
    ref,
    Permission.OrganizationUpdate,
    async ({ trx, org, role, audit, emit }) => {
      const patch: OrganizationUpdate & { updated_at: string } = {
        updated_at: nowIso(),
        ...retentionPatch(input.retention),
      }
      if (input.name !== undefined) patch.name = input.name
      if (input.webSiteUrl !== undefined) patch.web_site_url = input.webSiteUrl
      if (input.slug !== undefined && input.slug.toLowerCase() !== org.slug)
        patch.slug = await claimableSlug(trx, input.slug, org.id)
      await updateOrganization(trx, org.id, patch)
      const before = { name: org.name, slug: org.slug, webSiteUrl: org.web_site_url }
      await audit('organization.update', 'organization', org.id, {
        name: patch.name ?? org.name,
        changes: {
          ...changesBetween(before, { name: patch.name, slug: patch.slug, webSiteUrl: patch.web_site_url }),
          ...retentionChanges(org, patch),
        },
      })
      await emit('organization.updated', { organization: eventView({ ...org, ...patch }) })
      return { org, role, patch }
    },
  )
  const updated: Organization = { ...org, ...patch }
  return organizationView(db, { org: updated, role })
}

export async function changeOwner(db: Db, auth: AuthContext, ref: string, newOwner: string) {
  await changeOrganization(
    db,
    auth,
    ref,
    Permission.OrganizationOwnerChange,
    async ({ trx, org, audit, emit }) => {
      const who = newOwner.trim().toLowerCase()
      const target = await findCollaboratorOfUser(trx, org.id, isId(who) ? { id: who } : { email: who })
      if (!target) throw AppError.notFound()
      if (target.role === 'owner') throw AppError.conflict('already the owner')
      await transferOwnership(trx, org.id, target.id, nowIso())
      await audit('organization.ownerChange', 'organization', org.id, {
        ...(target.name ? { name: target.name } : {}),
        email: target.email,
        changes: { owner: { from: auth.email, to: target.email } },
      })
      // Only the owner may change owners, so the previous owner is the caller.
      await emit('organization.owner_changed', {
        previousOwner: { id: auth.userId, email: auth.email },
        newOwner: { id: target.userId, email: target.email },
      })
    },
  )
  return { changed: true }
}
