import { sql, type Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { ExportsTable } from '../db/types.js'
import { LeasedQueue } from '../jobs/queue.js'

// The exports table, and the reads an archive is made of. The reads walk each resource in pages by a keyset
// (a sort column and the id), so an export of millions of rows holds one page at a time.

export type ExportRow = Selectable<ExportsTable>

/** What the manifest says of the organization (by id, or by slug for the CLI); undefined unless it is live. */
export function findLiveOrganization(db: Db, ref: string, by: 'id' | 'slug' = 'id') {
  return db
    .selectFrom('organizations')
    .select(['id', 'name', 'slug', 'web_site_url', 'created_at'])
    .where(by, '=', ref.toLowerCase())
    .where('status', '=', 'active')
    .executeTakeFirst()
}

export async function insertExport(trx: Trx, row: ExportRow): Promise<void> {
  await trx.insertInto('exports').values(row).execute()
}

export function findExport(db: Db, organizationId: string, id: string) {
  return db
    .selectFrom('exports')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Expired exports' rows go (their objects were queued for removal at their expiry when they completed). */
export async function deleteExpiredExports(trx: Trx, organizationId: string, now: string): Promise<void> {
  await trx
    .deleteFrom('exports')
    .where('organization_id', '=', organizationId)
    .where('expires_at', '<=', now)
    .execute()
}

/** A running export nobody holds (or whose holder's lease ran out: its process died) is waiting to be written. */
const exportsQueue = new LeasedQueue({
  table: 'exports',
  key: ['organization_id', 'id'],
  owner: 'lease_owner',
  leaseEnd: 'lease_expires_at',
  nullIsDue: true,
  order: ['created_at', 'id'],
})

/** Claims the oldest export waiting to be written, for `owner` until `leaseUntil`; it starts again from nothing. */
export async function claimExport(
  db: Db,
  owner: string,
  now: string,
  leaseUntil: string,
): Promise<ExportRow | undefined> {
  const [row] = await exportsQueue.claim(
    db,
    { owner, now, leaseUntil, limit: 1, set: { progress: 0, updated_at: now } },
    (from) => from.selectAll().where('status', '=', 'running'),
  )
  return row && { ...row, progress: 0, updated_at: now }
}

/** What a running export's sign of life found: go on, stop (the organization is going), or the export is another's. */
export type Renewal = 'alive' | 'stopped' | 'lost'

/**
 * A running export's sign of life: its progress and its lease, and its upload removal pushed to `deadline`.
 * `stopped` when the export can no longer finish — the organization is no longer live (deleted: its purge is
 * waiting for this export; its purge may have deleted the row already), or a worker already claimed the removal;
 * `lost` when another export job holds it.
 */
export async function renewExport(
  db: Db,
  row: Pick<ExportRow, 'organization_id' | 'id' | 'removal_id'>,
  owner: string,
  progress: number,
  now: string,
  leaseUntil: string,
  deadline: string,
): Promise<Renewal> {
  return db.transaction().execute(async (trx) => {
    const renewed = await exportsQueue.renew(trx, row, owner, leaseUntil, {
      set: { progress, updated_at: now },
    })
    if (!renewed) {
      // The row may be gone rather than another's: the organization's purge deleted it while it was being written.
      const holder = await trx
        .selectFrom('exports')
        .select('lease_owner')
        .where('organization_id', '=', row.organization_id)
        .where('id', '=', row.id)
        .executeTakeFirst()
      return holder?.lease_owner != null ? 'lost' : 'stopped'
    }
    const live = await trx
      .selectFrom('organizations')
      .select(sql`1`.as('one'))
      .where('id', '=', row.organization_id)
      .where('status', '=', 'active')
      .executeTakeFirst()
    if (!live || row.removal_id === null) return 'stopped'
    const pushed = await trx
      .updateTable('object_removals')
      .set({ available_at: deadline })
      .where('organization_id', '=', row.organization_id)
      .where('id', '=', row.removal_id)
      .where('kind', '=', 'upload')
      .where('lease_owner', 'is', null)
      .executeTakeFirst()
    return Number(pushed.numUpdatedRows) === 1 ? 'alive' : 'stopped'
  })
}

/** The archive is written; false when another export job holds the export (this one stalled past its lease). */
export async function completeExport(
  trx: Trx,
  row: Pick<ExportRow, 'organization_id' | 'id'>,
  owner: string,
  result: { size: number; sha256: string; now: string; expiresAt: string },
): Promise<boolean> {
  return exportsQueue.finish(trx, row, owner, {
    set: {
      status: 'completed',
      progress: 100,
      size: result.size,
      sha256: result.sha256,
      removal_id: null,
      updated_at: result.now,
      completed_at: result.now,
      expires_at: result.expiresAt,
    },
  })
}

export async function failExport(
  db: Db,
  row: Pick<ExportRow, 'organization_id' | 'id'>,
  owner: string,
  error: string,
  now: string,
): Promise<boolean> {
  return exportsQueue.finish(db, row, owner, {
    set: { status: 'failed', error, removal_id: null, updated_at: now, completed_at: now },
  })
}

/** Where a page starts: after this sort value and id. */
export interface Cursor {
  at: string
  id: string
}

/** The first page starts before every row: sort values are non-empty ISO text. */
export const START: Cursor = { at: '', id: '' }

/** Rows after the cursor in (sort column, id) order: a row-value comparison both dialects read off an index. */
function after(table: string, column: string, cursor: Cursor) {
  return sql<boolean>`(${sql.ref(`${table}.${column}`)}, ${sql.ref(`${table}.id`)}) > (${cursor.at}, ${cursor.id})`
}

export function collaboratorsPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('collaborators')
    .innerJoin('users', 'users.id', 'collaborators.user_id')
    .select([
      'collaborators.id',
      'collaborators.role',
      'collaborators.created_at as at',
      'users.email',
      'users.name',
    ])
    .where('collaborators.organization_id', '=', organizationId)
    .orderBy('collaborators.created_at')
    .orderBy('collaborators.id')
    .limit(limit)
  return query.where(after('collaborators', 'created_at', cursor)).execute()
}

export function appsPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('apps')
    .select(['id', 'name', 'slug', 'description', 'created_at as at', 'updated_at'])
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
  return query.where(after('apps', 'created_at', cursor)).execute()
}

export function buildsPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('builds')
    .innerJoin('users', 'users.id', 'builds.uploaded_by')
    .select([
      'builds.id',
      'builds.app_id',
      'builds.file_name',
      'builds.content_type',
      'builds.size',
      'builds.sha256',
      'builds.version_name',
      'builds.version_code',
      'builds.changelog',
      'builds.tags',
      'builds.deployer',
      'builds.uploaded_by',
      'builds.created_at as at',
      'users.email as uploader_email',
    ])
    .where('builds.organization_id', '=', organizationId)
    .orderBy('builds.created_at')
    .orderBy('builds.id')
    .limit(limit)
  return query.where(after('builds', 'created_at', cursor)).execute()
}

export function devicesPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('devices')
    .select(['id', 'platform', 'serial_number', 'name', 'state', 'enrolled_at as at'])
    .where('organization_id', '=', organizationId)
    .orderBy('enrolled_at')
    .orderBy('id')
    .limit(limit)
  return query.where(after('devices', 'enrolled_at', cursor)).execute()
}

export function subscriptionsPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('subscriptions')
    .select(['id', 'plan', 'status', 'created_at as at', 'canceled_at'])
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
  return query.where(after('subscriptions', 'created_at', cursor)).execute()
}

export function auditEventsPage(db: Db, organizationId: string, cursor: Cursor, limit: number) {
  const query = db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.id', 'audit_events.actor_id')
    .select([
      'audit_events.id',
      'audit_events.action',
      'audit_events.entity',
      'audit_events.entity_id',
      'audit_events.details',
      'audit_events.created_at as at',
      'users.email as actor_email',
    ])
    .where('audit_events.organization_id', '=', organizationId)
    .orderBy('audit_events.created_at')
    .orderBy('audit_events.id')
    .limit(limit)
  return query.where(after('audit_events', 'created_at', cursor)).execute()
}

/** Rows of each resource the organization holds now: the total an export's progress is measured against. */
export async function resourceCounts(db: Db, organizationId: string) {
  const count = async (
    table: 'collaborators' | 'apps' | 'builds' | 'devices' | 'subscriptions' | 'audit_events',
  ) => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  return {
    collaborators: await count('collaborators'),
    apps: await count('apps'),
    builds: await count('builds'),
    devices: await count('devices'),
    subscriptions: await count('subscriptions'),
    auditEvents: await count('audit_events'),
  }
}
