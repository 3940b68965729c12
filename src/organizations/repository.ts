import { sql } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { dialectOf, lockRows } from '../db/dialect.js'
import type {
  NewOrganization,
  Organization,
  OrganizationsTable,
  OrganizationUpdate,
  Role,
  SubscriptionStatus,
} from '../db/types.js'
import { prepare } from '../db/prepared.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { containing, countRows, onPage } from '../db/query.js'

export interface Membership {
  org: Organization
  role: Role
}

export type OrganizationRef = { id: string } | { slug: string }

/**
 * The organization row locks of the write protocol (PostgreSQL; on SQLite every write transaction already holds
 * the database's write lock). `write`: FOR NO KEY UPDATE, taken by every write into the organization, which does
 * not conflict with the FOR KEY SHARE of foreign-key checks. `delete`: FOR UPDATE, which conflicts with it.
 */
export type OrganizationLock = 'write' | 'delete'

function membershipQuery(db: Db, userId: string, ref: OrganizationRef) {
  return db
    .selectFrom('organizations')
    .innerJoin('collaborators', 'collaborators.organization_id', 'organizations.id')
    .selectAll('organizations')
    .select('collaborators.role')
    .where('collaborators.user_id', '=', userId)
    .where('organizations.status', '=', 'active')
    .where((eb) =>
      'id' in ref ? eb('organizations.id', '=', ref.id) : eb('organizations.slug', '=', ref.slug),
    )
}

/** What one read of an organization finds: the caller's token as it is now, and the caller's membership. */
export interface MembershipRead {
  /** Undefined when the token's row is gone (revoked). */
  token?: { expiresAt: string | null }
  /** Undefined for strangers, and for organizations that are not live or do not exist. */
  membership?: Membership
}

/** The columns the organization's API view shows (organizations/service.ts), all the view read fetches. */
const VIEW_COLUMNS = [
  'id',
  'name',
  'slug',
  'web_site_url',
  'apps_count',
  'devices_count',
  'collaborators_count',
  'retention_audit_days',
  'retention_builds_days',
  'retention_builds_keep_latest',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof OrganizationsTable>
export type OrganizationViewColumns = Pick<Organization, (typeof VIEW_COLUMNS)[number]>

export interface OrganizationRead {
  /** Undefined when the token's row is gone (revoked). */
  token?: { expiresAt: string | null }
  /** Undefined for strangers, and for organizations that are not live or do not exist. */
  membership?: { org: OrganizationViewColumns; role: Role }
  owner?: { id: string; email: string }
  /** The organization's subscriptions, oldest first. */
  subscriptions: Array<{ id: string; plan: string; status: SubscriptionStatus }>
}

type ReadArgs = { tokenId: string; ref: string }

/**
 * Every column of an organization, named: the reads below are prepared statements on PostgreSQL, which refuses to
 * run one whose result changed shape — `organizations.*` would fail every request of a running server the moment a
 * migration added a column. The check below keeps the list complete.
 */
const ORGANIZATION_COLUMNS = [
  'id',
  'name',
  'slug',
  'web_site_url',
  'status',
  'apps_count',
  'devices_count',
  'collaborators_count',
  'builds_bytes',
  'created_at',
  'updated_at',
  'deleted_at',
  'legal_hold_reason',
  'legal_hold_at',
  'import_lease_until',
  'imported_by',
  'retention_audit_days',
  'retention_builds_days',
  'retention_builds_keep_latest',
  'retention_checked_at',
] as const satisfies ReadonlyArray<keyof OrganizationsTable>
const everyColumn: Exclude<keyof OrganizationsTable, (typeof ORGANIZATION_COLUMNS)[number]> extends never
  ? true
  : never = true
void everyColumn

/**
 * token → user → membership → organization, in one statement, starting from the token's row so that the row is
 * read again with the membership (see tokens/cache.ts). Strangers find the organization but no role.
 */
function readQuery(db: Db, by: 'id' | 'slug', args: ReadArgs) {
  return tokenMembershipQuery(db, by, args).select(
    ORGANIZATION_COLUMNS.map((column) => `organizations.${column}` as const),
  )
}

function tokenMembershipQuery(db: Db, by: 'id' | 'slug', { tokenId, ref }: ReadArgs) {
  return db
    .selectFrom('tokens')
    .leftJoin('organizations', (join) =>
      join.on(`organizations.${by}`, '=', ref).on('organizations.status', '=', sql.lit('active')),
    )
    .leftJoin('collaborators', (join) =>
      join
        .onRef('collaborators.organization_id', '=', 'organizations.id')
        .onRef('collaborators.user_id', '=', 'tokens.user_id'),
    )
    .select(['tokens.expires_at as token_expires_at', 'collaborators.role'])
    .where('tokens.id', '=', tokenId)
}

/**
 * `readQuery` as the organization's API view needs it: only the columns it shows (each column of a row costs the
 * driver its decoding, on every request), and its owner and its subscriptions.
 */
function readViewQuery(db: Db, by: 'id' | 'slug', args: ReadArgs) {
  const { jsonArrayFrom } = dialectOf(db)
  return (
    tokenMembershipQuery(db, by, args)
      .select(VIEW_COLUMNS.map((column) => `organizations.${column}` as const))
      // Joined through the caller's membership: nothing more is read for a stranger.
      .leftJoin('collaborators as ownership', (join) =>
        join
          .onRef('ownership.organization_id', '=', 'collaborators.organization_id')
          // A literal, not a parameter: SQLite matches it to the partial index collaborators_one_owner when it
          // compiles the statement; with a parameter it would compile it again for every value bound.
          .on('ownership.role', '=', sql.lit('owner')),
      )
      .leftJoin('users as owner', 'owner.id', 'ownership.user_id')
      .select(['owner.id as owner_id', 'owner.email as owner_email'])
      .select((eb) =>
        jsonArrayFrom(
          eb
            .selectFrom('subscriptions')
            .select(['subscriptions.id', 'subscriptions.plan', 'subscriptions.status'])
            .whereRef('subscriptions.organization_id', '=', 'collaborators.organization_id')
            .orderBy('subscriptions.created_at')
            .orderBy('subscriptions.id'),
        ).as('subscriptions'),
      )
  )
}

const ARGS = ['tokenId', 'ref'] as const
const reads = {
  id: prepare<ReadArgs, ReadRow>(ARGS, (db, args) => readQuery(db, 'id', args)),
  slug: prepare<ReadArgs, ReadRow>(ARGS, (db, args) => readQuery(db, 'slug', args)),
}
const viewReads = {
  id: prepare<ReadArgs, ViewRow>(ARGS, (db, args) => readViewQuery(db, 'id', args)),
  slug: prepare<ReadArgs, ViewRow>(ARGS, (db, args) => readViewQuery(db, 'slug', args)),
}
type ReadRow = Awaited<ReturnType<ReturnType<typeof readQuery>['executeTakeFirstOrThrow']>>
type ViewRow = Awaited<ReturnType<ReturnType<typeof readViewQuery>['executeTakeFirstOrThrow']>>

/**
 * The organization's columns of a read's row, picked one by one: a rest pattern over a row this wide
 * (`{ role, ...org }`) is a generic property copy in V8, and this runs on every read of an organization.
 * `Record<keyof Organization, …>` makes a column missing here a compile error.
 */
function organizationOf(row: ReadRow): Organization {
  const org: Record<keyof Organization, unknown> = {
    id: row.id,
    name: row.name,
    slug: row.slug,
    web_site_url: row.web_site_url,
    status: row.status,
    apps_count: row.apps_count,
    devices_count: row.devices_count,
    collaborators_count: row.collaborators_count,
    builds_bytes: row.builds_bytes,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
    legal_hold_reason: row.legal_hold_reason,
    legal_hold_at: row.legal_hold_at,
    import_lease_until: row.import_lease_until,
    imported_by: row.imported_by,
    retention_audit_days: row.retention_audit_days,
    retention_builds_days: row.retention_builds_days,
    retention_builds_keep_latest: row.retention_builds_keep_latest,
    retention_checked_at: row.retention_checked_at,
  }
  // A role was found only through the organization's row: its columns are all there (the left join's nulls are
  // for strangers and unknown organizations).
  return org as Organization
}

function membershipOf(row: ReadRow | undefined): MembershipRead {
  if (!row) return {}
  const token = { expiresAt: row.token_expires_at }
  if (row.role === null || row.id === null) return { token }
  return { token, membership: { org: organizationOf(row), role: row.role } }
}

/** The caller's token and membership of the live organization `ref`, in one query (see `readQuery`). */
export async function readMembership(db: Db, tokenId: string, ref: OrganizationRef): Promise<MembershipRead> {
  const [row] = await ('id' in ref
    ? reads.id(db, { tokenId, ref: ref.id })
    : reads.slug(db, { tokenId, ref: ref.slug }))
  return membershipOf(row)
}

/** `readMembership` with the organization's owner and subscriptions, still in one query. */
export async function readOrganization(
  db: Db,
  tokenId: string,
  ref: OrganizationRef,
): Promise<OrganizationRead> {
  const [row] = await ('id' in ref
    ? viewReads.id(db, { tokenId, ref: ref.id })
    : viewReads.slug(db, { tokenId, ref: ref.slug }))
  if (!row) return { subscriptions: [] }
  // SQLite hands JSON over as text; PostgreSQL parses it.
  const subscriptions = (
    typeof row.subscriptions === 'string' ? JSON.parse(row.subscriptions) : row.subscriptions
  ) as OrganizationRead['subscriptions']
  const token = { expiresAt: row.token_expires_at }
  // As in membershipOf: a role was found only through the organization's row.
  const membership =
    row.role === null || row.id === null ? undefined : { org: viewColumnsOf(row), role: row.role }
  // One literal of one shape: adding `owner` afterwards would change the object's hidden class on every read.
  const owner =
    row.owner_id !== null && row.owner_email !== null
      ? { id: row.owner_id, email: row.owner_email }
      : undefined
  return { token, membership, owner, subscriptions }
}

function viewColumnsOf(row: ViewRow): OrganizationViewColumns {
  const org: Record<keyof OrganizationViewColumns, unknown> = {
    id: row.id,
    name: row.name,
    slug: row.slug,
    web_site_url: row.web_site_url,
    apps_count: row.apps_count,
    devices_count: row.devices_count,
    collaborators_count: row.collaborators_count,
    retention_audit_days: row.retention_audit_days,
    retention_builds_days: row.retention_builds_days,
    retention_builds_keep_latest: row.retention_builds_keep_latest,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
  return org as OrganizationViewColumns
}

/**
 * `findMembership`, taking the organization's `lock` (PostgreSQL; on SQLite the transaction already holds the
 * database's write lock). Strangers lock nothing: the row is locked only when the join finds the user a member.
 * The role comes from the snapshot taken before any wait for the lock: see `lockOrganization` in access.ts.
 */
export async function lockMembership(
  trx: Trx,
  userId: string,
  ref: OrganizationRef,
  lock: OrganizationLock,
): Promise<Membership | undefined> {
  const row = await membershipQuery(trx, userId, ref)
    .$call(lockRows(trx, { mode: lock === 'delete' ? 'update' : 'noKeyUpdate', of: ['organizations'] }))
    .executeTakeFirst()
  if (!row) return undefined
  const { role, ...org } = row
  return { org, role }
}

export type OrganizationSortColumn = 'name' | 'slug' | 'created_at' | 'updated_at'

export interface MembershipFilter {
  userId: string
  onlyOrganizationId: string | null
  name?: string
  slug?: string
}

function membershipsQuery(db: Db, filter: MembershipFilter) {
  return db
    .selectFrom('organizations')
    .innerJoin('collaborators', 'collaborators.organization_id', 'organizations.id')
    .where('collaborators.user_id', '=', filter.userId)
    .where('organizations.status', '=', 'active')
    .$if(filter.onlyOrganizationId !== null, (q) =>
      q.where('organizations.id', '=', filter.onlyOrganizationId ?? ''),
    )
    .$if(filter.name !== undefined, (q) =>
      q.where(sql`lower(organizations.name)`, 'like', containing(filter.name ?? '')),
    )
    .$if(filter.slug !== undefined, (q) =>
      q.where(sql`organizations.slug`, 'like', containing(filter.slug ?? '')),
    )
}

export async function listMemberships(
  db: Db,
  filter: MembershipFilter,
  sort: Sort<OrganizationSortColumn>,
  page: PageRequest,
): Promise<Membership[]> {
  const ordered = membershipsQuery(db, filter)
    .selectAll('organizations')
    .select('collaborators.role')
    .orderBy(`organizations.${sort.column}`, sort.direction)
  const rows = await onPage(ordered.orderBy('organizations.id', sort.direction), page).execute()
  return rows.map(({ role, ...org }) => ({ org, role }))
}

export async function countMemberships(db: Db, filter: MembershipFilter): Promise<number> {
  return countRows(membershipsQuery(db, filter))
}

export function findOwners(db: Db, organizationIds: string[]) {
  return db
    .selectFrom('collaborators')
    .innerJoin('users', 'users.id', 'collaborators.user_id')
    .select(['collaborators.organization_id', 'users.id', 'users.email'])
    .where('collaborators.organization_id', 'in', organizationIds)
    .where('collaborators.role', '=', sql.lit('owner'))
    .execute()
}

export function findSubscriptionSummaries(db: Db, organizationIds: string[]) {
  return db
    .selectFrom('subscriptions')
    .select(['organization_id', 'id', 'plan', 'status'])
    .where('organization_id', 'in', organizationIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

export async function insertOrganization(trx: Trx, org: NewOrganization): Promise<void> {
  await trx.insertInto('organizations').values(org).execute()
}

export async function updateOrganization(trx: Trx, id: string, patch: OrganizationUpdate): Promise<void> {
  await trx.updateTable('organizations').set(patch).where('id', '=', id).execute()
}

/**
 * Takes the organization out of service: every lookup of it fails from the commit on. Its slug is freed at once
 * unless `holdSlug` (a grace period or a quarantine keeps it); nothing else of the row changes, so a restore
 * brings back exactly what was there.
 */
export async function markDeleting(trx: Trx, id: string, now: string, holdSlug: boolean): Promise<void> {
  await trx
    .updateTable('organizations')
    .set({ status: 'deleting', deleted_at: now, ...(holdSlug ? {} : { slug: null }) })
    .where('id', '=', id)
    .execute()
}

/** Puts a deleted organization whose purge never started back in service (its slug was held). */
export async function reactivateOrganization(trx: Trx, id: string): Promise<boolean> {
  const result = await trx
    .updateTable('organizations')
    .set({ status: 'active', deleted_at: null })
    .where('id', '=', id)
    .where('status', '=', 'deleting')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * The organization with this id or slug, live or being deleted (operators' view), locked like DELETE locks it,
 * so a legal hold and a DELETE are serialised: DELETE sees the hold, or the hold sees the deletion.
 */
export function lockAnyOrganization(trx: Trx, ref: OrganizationRef) {
  return anyOrganization(trx, ref)
    .$call(lockRows(trx, { mode: 'update' }))
    .executeTakeFirst()
}

function anyOrganization(db: Db, ref: OrganizationRef) {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => ('id' in ref ? eb('id', '=', ref.id) : eb('slug', '=', ref.slug)))
}

/** The organization with this id or slug, live or being deleted (operators' view), without a lock. */
export function findAnyOrganization(db: Db, ref: OrganizationRef) {
  return anyOrganization(db, ref).executeTakeFirst()
}

/** The legal hold on an organization now, read in a statement of its own (see startDueDeletion). */
export async function legalHoldOf(db: Db, id: string): Promise<string | null> {
  const row = await db
    .selectFrom('organizations')
    .select('legal_hold_reason')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.legal_hold_reason ?? null
}

/** Sets (reason) or clears (null) the organization's legal hold. */
export async function setLegalHold(trx: Trx, id: string, reason: string | null, now: string): Promise<void> {
  await trx
    .updateTable('organizations')
    .set({ legal_hold_reason: reason, legal_hold_at: reason === null ? null : now })
    .where('id', '=', id)
    .execute()
}

export function listLegalHolds(db: Db) {
  return db
    .selectFrom('organizations')
    .select(['id', 'slug', 'name', 'status', 'legal_hold_reason', 'legal_hold_at'])
    .where('legal_hold_reason', 'is not', null)
    .orderBy('legal_hold_at')
    .execute()
}

/** Who holds `slug` now, if anyone: a live organization, or a deleted one whose slug is held until its purge. */
export function findSlugHolder(db: Db, slug: string) {
  return db.selectFrom('organizations').select(['id', 'status']).where('slug', '=', slug).executeTakeFirst()
}

/** Removes the row of an organization whose purge has emptied every tenant table. */
export async function deleteDeletedOrganization(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('organizations').where('id', '=', id).where('status', '=', 'deleting').execute()
}

export type CounterColumn = 'apps_count' | 'devices_count' | 'collaborators_count' | 'builds_bytes'

/** Moves one of the organization's maintained counters; the caller holds the organization's write lock. */
export async function adjustCounter(
  trx: Trx,
  organizationId: string,
  column: CounterColumn,
  delta: number,
): Promise<void> {
  await trx
    .updateTable('organizations')
    .set((eb) => ({ [column]: eb(column, '+', delta) }))
    .where('id', '=', organizationId)
    .execute()
}

/**
 * Takes the organization's write lock and tells whether it is still live. See `writeInOrganization`.
 * PostgreSQL: FOR NO KEY UPDATE conflicts with the FOR UPDATE taken by DELETE, but not with the FOR KEY SHARE
 * that foreign-key checks take, so inserting children does not wait on itself.
 */
export function lockLiveOrganization(trx: Trx, organizationId: string) {
  return trx
    .selectFrom('organizations')
    .select(['id', 'slug', 'name'])
    .where('id', '=', organizationId)
    .where('status', '=', 'active')
    .$call(lockRows(trx, { mode: 'noKeyUpdate' }))
    .executeTakeFirst()
}

/**
 * A query of the organization's row if it is live, locked only against its deletion (FOR KEY SHARE on PostgreSQL,
 * which the DELETE's FOR UPDATE waits for and the writes' FOR NO KEY UPDATE does not), to make a statement's write
 * conditional on it: for rows written beside the organization's writes, such as a kept Idempotency-Key answer,
 * that must not outlive it. (On SQLite the statement holds the database's one write lock.)
 */
export function liveOrganizationShared(db: Db, organizationId: string) {
  return db
    .selectFrom('organizations')
    .select('id')
    .where('id', '=', organizationId)
    .where('status', '=', 'active')
    .$call(lockRows(db, { mode: 'keyShare' }))
}

/** Bytes of the organization's builds (its maintained counter), for deletion receipts. */
export async function buildBytesOf(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select('builds_bytes')
    .where('id', '=', organizationId)
    .executeTakeFirst()
  return Number(row?.builds_bytes ?? 0)
}

/** Of these organization ids, those whose organization exists and is not being deleted. */
export async function liveOrganizationIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'in', ids)
    .where('status', '!=', 'deleting')
    .execute()
  return rows.map((row) => row.id)
}
