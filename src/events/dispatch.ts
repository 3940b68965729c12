import type { Insertable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { newId } from '../db/ids.js'
import type { InstanceDeliveriesTable, WebhookDeliveriesTable } from '../db/types.js'
import {
  deletionCompletedMail,
  deletionRequestedMail,
  type DeletionCompleted,
  type DeletionRequested,
} from '../mail/messages.js'
import { enabledEndpointsOf, insertDeliveries } from '../webhooks/repository.js'
import { insertInstanceDeliveries } from './instance-queue.js'
import { deleteEvents, deleteNotice, findNotice, lockEventBatch, type EventRow } from './repository.js'
import type { EventBody } from './types.js'

// Dispatch turns events of the outbox into deliveries: one per enabled endpoint of the organization that
// subscribes to the type, one for the instance endpoint, and emails for the deletion events — then deletes the
// events, all in one transaction, so an event is fanned out exactly once. Recipients are looked up now rather
// than when the change was written: that keeps the write to one insert, and lets the channels be configured
// per process (WEBHOOK_URL, SMTP_URL).

export interface Channels {
  /** WEBHOOK_URL is set. */
  instance: boolean
  /** SMTP_URL is set. */
  email: boolean
}

/** Whether an endpoint's `events` (JSON: types or `["*"]`) include `type`. */
export function subscribes(events: string, type: string): boolean {
  const list = JSON.parse(events) as string[]
  return list.includes('*') || list.includes(type)
}

async function mails(trx: Trx, event: EventRow, body: EventBody) {
  const data = body.data as unknown
  if (event.type === 'organization.deleted') {
    const details = data as DeletionRequested
    return (await findNotice(trx, details.deletionId)).map((to) => deletionRequestedMail(to, details))
  }
  if (event.type === 'organization.deletion.completed') {
    const details = data as DeletionCompleted
    const recipients = await findNotice(trx, details.deletionId)
    // The last time anyone is told about this deletion.
    await deleteNotice(trx, details.deletionId)
    return recipients.map((to) => deletionCompletedMail(to, details))
  }
  return []
}

/** Dispatches up to `limit` of the oldest events; returns how many. `now` is when the deliveries are due. */
export async function dispatchEvents(
  db: Db,
  channels: Channels,
  now: string,
  limit: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const events = await lockEventBatch(trx, limit)
    if (events.length === 0) return 0
    const endpoints = await enabledEndpointsOf(trx, [...new Set(events.map((e) => e.source_organization_id))])
    const deliveries: Insertable<WebhookDeliveriesTable>[] = []
    const instance: Insertable<InstanceDeliveriesTable>[] = []
    for (const event of events) {
      const common = { event_id: event.id, event_type: event.type, body: event.body, created_at: now }
      for (const endpoint of endpoints) {
        // An endpoint is sent what happens from its creation on, not what was waiting in the outbox before.
        if (
          endpoint.organization_id !== event.source_organization_id ||
          endpoint.created_at > event.created_at ||
          !subscribes(endpoint.events, event.type)
        )
          continue
        deliveries.push({
          ...common,
          organization_id: endpoint.organization_id,
          id: newId(),
          endpoint_id: endpoint.id,
          status: 'pending',
          next_attempt_at: now,
          updated_at: now,
        })
      }
      if (channels.instance)
        instance.push({ ...common, id: newId(), channel: 'webhook', next_attempt_at: now })
      for (const mail of await mails(trx, event, JSON.parse(event.body) as EventBody)) {
        if (channels.email)
          instance.push({
            ...common,
            id: newId(),
            channel: 'email',
            body: JSON.stringify(mail),
            next_attempt_at: now,
          })
      }
    }
    await insertDeliveries(trx, deliveries)
    await insertInstanceDeliveries(trx, instance)
    await deleteEvents(
      trx,
      events.map((e) => e.id),
    )
    return events.length
  })
}
