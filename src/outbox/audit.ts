import type { AuditAction, AuditDetails } from '../contract/audit.js'
import type { Trx } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'

export interface AuditEntry {
  organizationId: string
  action: AuditAction
  entity: string
  entityId: string
  actorId: string | null
  /** What a person needs to read the event later, as it is now (the entity may be renamed or gone by then). */
  details: AuditDetails
}

/** Records one audit event; always called with the transaction of the change it describes. */
export async function recordAudit(trx: Trx, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      id: newId(),
      organization_id: entry.organizationId,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId,
      actor_id: entry.actorId,
      details: JSON.stringify(entry.details),
      created_at: nowIso(),
    })
    .execute()
}
