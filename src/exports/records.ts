import { buildView } from '../builds/service.js'
import type { AuditDetails } from '../contract/audit.js'
import type { Db } from '../db/connect.js'
import type { Platform, Role, SubscriptionStatus } from '../db/types.js'
import type { Resource } from './format.js'
import {
  appsPage,
  auditEventsPage,
  buildsPage,
  collaboratorsPage,
  devicesPage,
  START,
  subscriptionsPage,
  type Cursor,
} from './repository.js'

// Rows as the archive's records (format.ts): camelCase, people named by email (ids of users mean nothing on
// another instance), JSON columns parsed.

type PageReader<R extends { id: string; at: string }> = (
  db: Db,
  organizationId: string,
  cursor: Cursor,
  limit: number,
) => Promise<R[]>

/** Every page of a resource, mapped to records, until a page comes back short. */
function pages<R extends { id: string; at: string }, T>(read: PageReader<R>, toRecord: (row: R) => T) {
  return async function* (db: Db, organizationId: string, limit: number): AsyncGenerator<T[]> {
    let cursor = START
    for (;;) {
      const rows = await read(db, organizationId, cursor, limit)
      const last = rows.at(-1)
      if (!last) return
      yield rows.map(toRecord)
      if (rows.length < limit) return
      cursor = { at: last.at, id: last.id }
    }
  }
}

export const RECORD_PAGES: Record<
  Resource,
  (db: Db, organizationId: string, limit: number) => AsyncGenerator<object[]>
> = {
  collaborators: pages(collaboratorsPage, (row) => ({
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    createdAt: row.at,
  })),
  apps: pages(appsPage, (row) => ({
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    createdAt: row.at,
    updatedAt: row.updated_at,
  })),
  // The API's view of a build, its uploader named by email (ids do not survive an import).
  builds: pages(buildsPage, (row) => {
    const { uploadedBy, ...build } = buildView({ ...row, created_at: row.at })
    return { ...build, uploadedBy: uploadedBy.email }
  }),
  devices: pages(devicesPage, (row) => ({
    id: row.id,
    platform: row.platform as Platform,
    serialNumber: row.serial_number,
    name: row.name,
    state: row.state,
    enrolledAt: row.at,
  })),
  subscriptions: pages(subscriptionsPage, (row) => ({
    id: row.id,
    plan: row.plan,
    status: row.status as SubscriptionStatus,
    createdAt: row.at,
    canceledAt: row.canceled_at,
  })),
  auditEvents: pages(auditEventsPage, (row) => ({
    id: row.id,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    actor: row.actor_email,
    // Written by recordAudit from the contract's AuditDetails.
    details: row.details === null ? null : (JSON.parse(row.details) as AuditDetails),
    createdAt: row.at,
  })),
}
