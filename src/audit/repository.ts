import type { Db, Trx } from '../db/connect.js'
import type { PageRequest } from '../core/pagination.js'
import { countRows, onPage } from '../db/query.js'

export interface AuditFilter {
  organizationId: string
  /** Any of these actions (one, or every action of a prefix). */
  actions?: readonly string[]
  entity?: string
  entityId?: string
  /** Inclusive bounds, as ISO-8601 UTC text like `created_at`. */
  from?: string
  to?: string
}

/** Walks `audit_events_org_created_idx`: the organization's events, within the time bounds when given. */
function auditQuery(db: Db, filter: AuditFilter) {
  return db
    .selectFrom('audit_events')
    .where('audit_events.organization_id', '=', filter.organizationId)
    .$if(filter.from !== undefined, (q) => q.where('audit_events.created_at', '>=', filter.from ?? ''))
    .$if(filter.to !== undefined, (q) => q.where('audit_events.created_at', '<=', filter.to ?? ''))
    .$if(filter.actions !== undefined, (q) => q.where('audit_events.action', 'in', filter.actions ?? []))
    .$if(filter.entity !== undefined, (q) => q.where('audit_events.entity', '=', filter.entity ?? ''))
    .$if(filter.entityId !== undefined, (q) => q.where('audit_events.entity_id', '=', filter.entityId ?? ''))
}

export function listAuditEvents(db: Db, filter: AuditFilter, direction: 'asc' | 'desc', page: PageRequest) {
  const events = auditQuery(db, filter)
    // An actor may be null (an event no user caused); the event is listed all the same.
    .leftJoin('users', 'users.id', 'audit_events.actor_id')
    .select([
      'audit_events.id',
      'audit_events.action',
      'audit_events.entity',
      'audit_events.entity_id',
      'audit_events.actor_id',
      'users.email as actor_email',
      'users.name as actor_name',
      'audit_events.details',
      'audit_events.created_at',
    ])
  const ordered = events.orderBy('audit_events.created_at', direction).orderBy('audit_events.id', direction)
  return onPage(ordered, page).execute()
}

export type AuditEventRow = Awaited<ReturnType<typeof listAuditEvents>>[number]

export async function countAuditEvents(db: Db, filter: AuditFilter): Promise<number> {
  return countRows(auditQuery(db, filter))
}

/** Deletes up to `limit` of the organization's oldest events recorded before `before`; returns how many. */
export async function deleteAuditEventsBefore(
  trx: Trx,
  organizationId: string,
  before: string,
  limit: number,
): Promise<number> {
  const oldest = trx
    .selectFrom('audit_events')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(limit)
  const result = await trx
    .deleteFrom('audit_events')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', oldest)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
