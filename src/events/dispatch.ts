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
import type { ClaimedEndpointDelivery } from '../webhooks/queue.js'
import { enabledEndpointsOf, insertDeliveries } from '../webhooks/repository.js'
import { insertInstanceDeliveries, type ClaimedInstanceDelivery } from './instance-queue.js'
import { deleteNotice, findNotice, hasEvents, takeEvents, type EventRow } from '../outbox/repository.js'
import { AFTER_PURGE, type EventBody } from '../outbox/types.js'

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

/**
 * Whether an organization's endpoint with these `events` (JSON: types or `["*"]`) is sent `type`. What follows
 * the purge is for the instance endpoint only, even while an endpoint is still there (a purge being retried).
 */
function subscribes(events: string, type: string): boolean {
  if (AFTER_PURGE.has(type)) return false
  const list = JSON.parse(events) as string[]
  return list.includes('*') || list.includes(type)
}

/** Without mail, a deletion's notice is still dropped when its last email would have gone. */
async function forgetNotice(trx: Trx, event: EventRow): Promise<void> {
  if (event.type !== 'organization.deletion.completed') return
  const { deletionId } = (JSON.parse(event.body) as EventBody).data as { deletionId: string }
  await deleteNotice(trx, deletionId)
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

/**
 * The dispatching worker's claim on what it fans out: as many new deliveries as it has free slots are written
 * already claimed by it (the attempt counted, `next_attempt_at` at the end of the lease, as a claim would) and
 * handed back to be sent at once — no second transaction to claim them.
 */
export interface DispatchClaim {
  owner: string
  leaseUntil: string
  slots: number
  /**
   * More writes for the same transaction (the outcomes of earlier attempts, events/recorder.ts), so that they cost
   * no commit of their own; the function it returns is told whether the transaction committed.
   */
  alongside?: (trx: Trx) => Promise<(error?: unknown) => void>
}

export interface Dispatched {
  events: number
  endpoint: ClaimedEndpointDelivery[]
  instance: ClaimedInstanceDelivery[]
}

const nothingDispatched = (): Dispatched => ({ events: 0, endpoint: [], instance: [] })

/** Dispatches up to `limit` of the oldest events. `now` is when their deliveries are due. */
export async function dispatchEvents(
  db: Db,
  channels: Channels,
  now: string,
  limit: number,
  claim: DispatchClaim,
): Promise<Dispatched> {
  if (!(await hasEvents(db))) return nothingDispatched() // an idle poll reads, without taking the write lock (as jobs/queue.ts peeks)
  let settle: ((error?: unknown) => void) | undefined
  try {
    const dispatched = await db.transaction().execute(async (trx) => {
      settle = await claim.alongside?.(trx)
      return fanOut(trx, channels, now, limit, claim)
    })
    settle?.()
    return dispatched
  } catch (error) {
    settle?.(error)
    throw error
  }
}

async function fanOut(
  trx: Trx,
  channels: Channels,
  now: string,
  limit: number,
  claim: DispatchClaim,
): Promise<Dispatched> {
  const events = await takeEvents(trx, limit)
  if (events.length === 0) return nothingDispatched()
  const endpoints = await enabledEndpointsOf(trx, [...new Set(events.map((e) => e.source_organization_id))])
  const deliveries: Insertable<WebhookDeliveriesTable>[] = []
  const instance: Insertable<InstanceDeliveriesTable>[] = []
  const claimed: Dispatched = { events: events.length, endpoint: [], instance: [] }
  let slots = claim.slots
  // Claimed rows: attempt 1 in flight, due again only if this worker's attempt is lost.
  // Every row names every column: a multi-row insert fills a missing one with NULL, not with its default.
  const take = () =>
    slots-- > 0
      ? { attempt: 1, lease_owner: claim.owner, next_attempt_at: claim.leaseUntil }
      : { attempt: 0, lease_owner: null, next_attempt_at: now }
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
      const id = newId()
      const lease = take()
      deliveries.push({
        ...common,
        organization_id: endpoint.organization_id,
        id,
        endpoint_id: endpoint.id,
        status: 'pending',
        updated_at: now,
        ...lease,
      })
      if (lease.lease_owner)
        claimed.endpoint.push({
          organization_id: endpoint.organization_id,
          id,
          endpoint_id: endpoint.id,
          event_id: event.id,
          body: event.body,
          attempt: 1,
          url: endpoint.url,
          secret: endpoint.secret,
        })
    }
    const mailed = channels.email ? await mails(trx, event, JSON.parse(event.body) as EventBody) : []
    const messages = [
      ...(channels.instance ? [{ channel: 'webhook' as const, body: event.body }] : []),
      ...mailed.map((mail) => ({ channel: 'email' as const, body: JSON.stringify(mail) })),
    ]
    for (const message of messages) {
      const id = newId()
      const lease = take()
      instance.push({ ...common, ...message, id, ...lease })
      if (lease.lease_owner)
        claimed.instance.push({ ...message, id, event_id: event.id, event_type: event.type, attempt: 1 })
    }
    if (!channels.email) await forgetNotice(trx, event)
  }
  await insertDeliveries(trx, deliveries)
  await insertInstanceDeliveries(trx, instance)
  return claimed
}
