import { AUDIT_ACTIONS, type AuditDetails } from '../contract/audit.js'
import type { AuditEvent } from '../contract/api.js'
import type { Db } from '../db/connect.js'
import { AppError, type FieldError } from '../core/errors.js'
import { parseSort, readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import type { AuthContext } from '../core/auth-context.js'
import { countAuditEvents, listAuditEvents, type AuditEventRow } from './repository.js'

function auditEventView(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    actor:
      row.actor_id === null
        ? null
        : { id: row.actor_id, email: row.actor_email ?? '', name: row.actor_name ?? '' },
    // Written by recordAudit from AuditDetails, in the same transaction as the change.
    details: row.details === null ? null : (JSON.parse(row.details) as AuditDetails),
    createdAt: row.created_at,
  }
}

/** `device.enroll` is that action; `device.` is every action on devices. The schema allows only known ones. */
function actionsMatching(filter: string | undefined): readonly string[] | undefined {
  if (filter === undefined) return undefined
  return filter.endsWith('.') ? AUDIT_ACTIONS.filter((action) => action.startsWith(filter)) : [filter]
}

export interface AuditQuery extends PageRequest {
  sort?: string
  action?: string
  entity?: string
  entityId?: string
  dateIni?: string
  dateEnd?: string
}

/**
 * The bounds as stored timestamps (ISO-8601 UTC, millisecond precision), so they compare as text in both
 * dialects. The schema has checked the RFC 3339 form; what is left is what Date cannot represent (a leap
 * second) and a range that ends before it starts.
 */
function timeBounds(query: AuditQuery): { from?: string; to?: string } {
  const errors: FieldError[] = []
  const instant = (name: 'dateIni' | 'dateEnd') => {
    const text = query[name]
    if (text === undefined) return undefined
    const time = Date.parse(text.toUpperCase())
    if (Number.isNaN(time)) {
      errors.push({ path: `/querystring/${name}`, message: 'must be a valid date-time' })
      return undefined
    }
    return new Date(time).toISOString()
  }
  const from = instant('dateIni')
  const to = instant('dateEnd')
  if (from !== undefined && to !== undefined && to < from)
    errors.push({ path: '/querystring/dateEnd', message: 'must not be before dateIni' })
  if (errors.length > 0) throw AppError.validation(errors)
  return { from, to }
}

export async function listOrganizationAudit(db: Db, auth: AuthContext, ref: string, query: AuditQuery) {
  const sort = parseSort(query.sort, { createdAt: 'created_at' }, { column: 'created_at', direction: 'desc' })
  const bounds = timeBounds(query)
  const { org } = await accessOrganization(db, auth, ref, Permission.AuditList)
  const filter = {
    organizationId: org.id,
    actions: actionsMatching(query.action),
    entity: query.entity,
    entityId: query.entityId?.toLowerCase(),
    ...bounds,
  }
  const rows = listAuditEvents(db, filter, sort.direction, query)
  return readPage(query, rows, countAuditEvents(db, filter), auditEventView)
}
