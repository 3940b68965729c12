import type { Trx } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { insertEvent } from './repository.js'
import type { EventBody, EventType, OrganizationRef } from './types.js'

export interface Actor {
  id: string
  email: string
}

export interface NewEvent {
  type: EventType
  organization: OrganizationRef
  /** Who made the change; null for what no user did directly (a purge completing). */
  actor: Actor | null
  /** The rest of `data`, beside `organization` and `actor`. */
  data: Record<string, unknown>
}

/**
 * Writes an event into the outbox, in the transaction of the change it describes: it exists if and only if the
 * change commits. The body is fixed here, so every endpoint and every retry gets the same bytes. Returns its id
 * (the `webhook-id` of its deliveries).
 */
export async function emitEvent(trx: Trx, event: NewEvent): Promise<string> {
  const id = newId()
  const timestamp = nowIso()
  const body: EventBody = {
    type: event.type,
    timestamp,
    data: { organization: event.organization, actor: event.actor, ...event.data },
  }
  await insertEvent(trx, {
    id,
    type: event.type,
    source_organization_id: event.organization.id,
    body: JSON.stringify(body),
    created_at: timestamp,
  })
  return id
}

/** The organization as events name it; a deleted organization has no slug, and events say so with "". */
export function organizationRef(org: { id: string; slug: string | null; name: string }): OrganizationRef {
  return { id: org.id, slug: org.slug ?? '', name: org.name }
}
