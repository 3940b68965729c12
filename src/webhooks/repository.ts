import type { Insertable, Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from '../db/types.js'
import type { PageRequest } from '../core/pagination.js'
import { countRows, onPage } from '../db/query.js'

// SQL of an organization's webhook endpoints and of their delivery log. The delivery queue the worker works
// is in queue.ts.

export type EndpointRow = Selectable<WebhookEndpointsTable>
export type DeliveryRow = Selectable<WebhookDeliveriesTable>

export async function insertEndpoint(trx: Trx, row: EndpointRow): Promise<void> {
  await trx.insertInto('webhook_endpoints').values(row).execute()
}

function endpointsQuery(db: Db, organizationId: string) {
  return db.selectFrom('webhook_endpoints').where('organization_id', '=', organizationId)
}

export function listEndpoints(db: Db, organizationId: string, page: PageRequest) {
  return onPage(
    endpointsQuery(db, organizationId).selectAll().orderBy('created_at').orderBy('id'),
    page,
  ).execute()
}

export function countEndpoints(db: Db, organizationId: string): Promise<number> {
  return countRows(endpointsQuery(db, organizationId))
}

export function findEndpoint(db: Db, organizationId: string, id: string): Promise<EndpointRow | undefined> {
  return endpointsQuery(db, organizationId).selectAll().where('id', '=', id).executeTakeFirst()
}

export async function updateEndpoint(
  trx: Trx,
  organizationId: string,
  id: string,
  patch: Partial<Pick<EndpointRow, 'url' | 'events' | 'description' | 'disabled_at' | 'disabled_reason'>> & {
    updated_at: string
  },
): Promise<void> {
  await trx
    .updateTable('webhook_endpoints')
    .set(patch)
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}

/** Deletes the endpoint and its delivery log. */
export async function deleteEndpoint(trx: Trx, organizationId: string, id: string): Promise<void> {
  await trx
    .deleteFrom('webhook_deliveries')
    .where('organization_id', '=', organizationId)
    .where('endpoint_id', '=', id)
    .execute()
  await trx
    .deleteFrom('webhook_endpoints')
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}

export async function hasEnabledEndpoint(db: Db, organizationId: string): Promise<boolean> {
  const row = await endpointsQuery(db, organizationId)
    .select('id')
    .where('disabled_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** The enabled endpoints of these organizations, with what they subscribe to and how to reach them. */
export function enabledEndpointsOf(db: Db, organizationIds: string[]) {
  if (organizationIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('webhook_endpoints')
    .select(['organization_id', 'id', 'url', 'secret', 'events', 'created_at'])
    .where('organization_id', 'in', organizationIds)
    .where('disabled_at', 'is', null)
    .execute()
}

export async function insertDeliveries(trx: Trx, rows: Insertable<WebhookDeliveriesTable>[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('webhook_deliveries').values(rows).execute()
}

function deliveriesQuery(db: Db, organizationId: string, endpointId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .where('organization_id', '=', organizationId)
    .where('endpoint_id', '=', endpointId)
}

/** The endpoint's delivery log, newest first. */
export function listDeliveries(
  db: Db,
  organizationId: string,
  endpointId: string,
  page: PageRequest,
): Promise<DeliveryRow[]> {
  const newestFirst = deliveriesQuery(db, organizationId, endpointId)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
  return onPage(newestFirst, page).execute()
}

export function countDeliveries(db: Db, organizationId: string, endpointId: string): Promise<number> {
  return countRows(deliveriesQuery(db, organizationId, endpointId))
}

export function findDelivery(
  db: Db,
  organizationId: string,
  endpointId: string,
  id: string,
): Promise<DeliveryRow | undefined> {
  return deliveriesQuery(db, organizationId, endpointId).selectAll().where('id', '=', id).executeTakeFirst()
}

/** Makes a finished delivery due again now: one more attempt, same event id and body. */
export async function requeueDelivery(trx: Trx, row: DeliveryRow, now: string): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, lease_owner: null, updated_at: now })
    .where('organization_id', '=', row.organization_id)
    .where('id', '=', row.id)
    .execute()
}

/** Marks the endpoint's pending deliveries failed: it was disabled, so nothing more is sent to it. */
export async function failPendingDeliveries(
  trx: Trx,
  organizationId: string,
  endpointId: string,
  reason: string,
  now: string,
): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', error: reason, next_attempt_at: null, lease_owner: null, updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute()
}
