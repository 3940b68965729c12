import { changesBetween } from '../outbox/audit-details.js'
import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { organizationRef } from '../outbox/emit.js'
import { TEST_EVENT, type EventBody } from '../outbox/types.js'
import { AppError } from '../core/errors.js'
import { readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import type { AuthContext } from '../core/auth-context.js'
import { resolvedHostProblem, urlProblem, type AddressPolicy } from './address-policy.js'
import {
  countDeliveries,
  countEndpoints,
  deleteEndpoint,
  failPendingDeliveries,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  requeueDelivery,
  updateEndpoint,
  type DeliveryRow,
  type EndpointRow,
} from './repository.js'
import { newSecret } from './signing.js'

/** Each endpoint is sent every event it subscribes to: a bound on how many one change fans out into. */
export const MAX_ENDPOINTS = 20

function webhookView(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    enabled: row.disabled_at === null,
    createdAt: row.created_at,
  }
}

function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    attempt: Number(row.attempt),
    status: row.status,
    responseStatus: row.response_status,
    durationMs: row.duration_ms,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    createdAt: row.created_at,
  }
}

/** The checks that need nothing but the input: part of validation (3000), before lookup and permission. */
function validateInput(input: { url?: string; events?: string[] }, policy: AddressPolicy): void {
  const problem = input.url === undefined ? null : urlProblem(input.url, policy)
  if (problem) throw AppError.validation([{ path: '/body/url', message: problem }])
  if (input.events && input.events.length > 1 && input.events.includes('*'))
    throw AppError.validation([
      { path: '/body/events', message: 'must be ["*"] alone, or a list of event types' },
    ])
}

/**
 * The URL's host name, resolved, must not lead to a private address either (3000). Looked up only for a member
 * allowed to make the change, so nobody else can have the server resolve names; and outside the write's
 * transaction, so a slow DNS never holds the organization's lock.
 */
async function checkHost(
  db: Db,
  auth: AuthContext,
  ref: string,
  permission: Permission,
  url: string | undefined,
  policy: AddressPolicy,
) {
  if (url === undefined) return
  await accessOrganization(db, auth, ref, permission)
  const problem = await resolvedHostProblem(url, policy)
  if (problem) throw AppError.validation([{ path: '/body/url', message: problem }])
}

async function existingEndpoint(db: Db, organizationId: string, webhookId: string): Promise<EndpointRow> {
  const row = await findEndpoint(db, organizationId, webhookId.toLowerCase())
  if (!row) throw AppError.notFound()
  return row
}

export async function listWebhooks(db: Db, auth: AuthContext, ref: string, page: PageRequest) {
  const { org } = await accessOrganization(db, auth, ref, Permission.WebhookList)
  return readPage(page, listEndpoints(db, org.id, page), countEndpoints(db, org.id), webhookView)
}

export interface WebhookInput {
  url: string
  events: string[]
  description?: string
}

/** Creates an endpoint; the answer carries its secret, the only time it is shown. */
export async function createWebhook(
  db: Db,
  policy: AddressPolicy,
  auth: AuthContext,
  ref: string,
  input: WebhookInput,
) {
  validateInput(input, policy)
  await checkHost(db, auth, ref, Permission.WebhookCreate, input.url, policy)
  return changeOrganization(db, auth, ref, Permission.WebhookCreate, async ({ trx, org, audit }) => {
    if ((await countEndpoints(trx, org.id)) >= MAX_ENDPOINTS)
      throw AppError.conflict(`an organization has at most ${MAX_ENDPOINTS} webhook endpoints`)
    const now = nowIso()
    const endpoint: EndpointRow = {
      organization_id: org.id,
      id: newId(),
      url: input.url,
      events: JSON.stringify(input.events),
      description: input.description ?? '',
      secret: newSecret(),
      disabled_at: null,
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    }
    await insertEndpoint(trx, endpoint)
    await audit('webhook.create', 'webhook', endpoint.id, { url: shownUrl(endpoint.url) })
    return { ...webhookView(endpoint), secret: endpoint.secret }
  })
}

export async function updateWebhook(
  db: Db,
  policy: AddressPolicy,
  auth: AuthContext,
  ref: string,
  webhookId: string,
  input: Partial<WebhookInput> & { enabled?: boolean },
) {
  validateInput(input, policy)
  await checkHost(db, auth, ref, Permission.WebhookUpdate, input.url, policy)
  return changeOrganization(db, auth, ref, Permission.WebhookUpdate, async ({ trx, org, audit }) => {
    const endpoint = await existingEndpoint(trx, org.id, webhookId)
    const now = nowIso()
    const enabled = input.enabled ?? endpoint.disabled_at === null
    const patch = {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: JSON.stringify(input.events) } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      disabled_at: enabled ? null : (endpoint.disabled_at ?? now),
      disabled_reason: enabled ? null : (endpoint.disabled_reason ?? `disabled by ${auth.email}`),
      updated_at: now,
    }
    await updateEndpoint(trx, org.id, endpoint.id, patch)
    // A disabled endpoint is sent nothing more; what was waiting for it is given up (and can be retried).
    if (!enabled) await failPendingDeliveries(trx, org.id, endpoint.id, 'the endpoint was disabled', now)
    const before = {
      url: shownUrl(endpoint.url),
      events: eventList(endpoint.events),
      description: endpoint.description,
      enabled: endpoint.disabled_at === null,
    }
    const after = {
      url: input.url === undefined ? undefined : shownUrl(input.url),
      events: input.events === undefined ? undefined : input.events.join(', '),
      description: input.description,
      enabled,
    }
    await audit('webhook.update', 'webhook', endpoint.id, {
      url: after.url ?? before.url,
      changes: changesBetween(before, after),
    })
    return webhookView({ ...endpoint, ...patch })
  })
}

export async function removeWebhook(db: Db, auth: AuthContext, ref: string, webhookId: string) {
  await changeOrganization(db, auth, ref, Permission.WebhookRemove, async ({ trx, org, audit }) => {
    const endpoint = await existingEndpoint(trx, org.id, webhookId)
    await deleteEndpoint(trx, org.id, endpoint.id)
    await audit('webhook.remove', 'webhook', endpoint.id, { url: shownUrl(endpoint.url) })
  })
  return { delete: 'OK' }
}

/**
 * An endpoint's URL as the audit history keeps it: its origin only. Paths and queries often carry a secret (a
 * chat's incoming-webhook token); the history outlives the endpoint and is read by every admin.
 */
function shownUrl(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : ''
}

/** The stored JSON list of event types, as one line. */
function eventList(events: string): string {
  const list: unknown = JSON.parse(events)
  return Array.isArray(list) ? list.join(', ') : ''
}

function requireEnabled(endpoint: EndpointRow): void {
  if (endpoint.disabled_at !== null) throw AppError.conflict('the endpoint is disabled; enable it first')
}

/** Sends `webhook.test` to this endpoint alone, through its delivery queue like any event. */
export async function testWebhook(db: Db, auth: AuthContext, ref: string, webhookId: string) {
  const row = await changeOrganization(db, auth, ref, Permission.WebhookUpdate, async ({ trx, org }) => {
    const endpoint = await existingEndpoint(trx, org.id, webhookId)
    requireEnabled(endpoint)
    const now = nowIso()
    const body: EventBody = {
      type: TEST_EVENT,
      timestamp: now,
      data: {
        organization: organizationRef(org),
        actor: { id: auth.userId, email: auth.email },
        webhook: { id: endpoint.id },
      },
    }
    const delivery: DeliveryRow = {
      organization_id: org.id,
      id: newId(),
      endpoint_id: endpoint.id,
      event_id: newId(),
      event_type: TEST_EVENT,
      body: JSON.stringify(body),
      status: 'pending',
      attempt: 0,
      response_status: null,
      duration_ms: null,
      error: null,
      next_attempt_at: now,
      lease_owner: null,
      created_at: now,
      updated_at: now,
    }
    await insertDeliveries(trx, [delivery])
    return delivery
  })
  return deliveryView(row)
}

export async function listWebhookDeliveries(
  db: Db,
  auth: AuthContext,
  ref: string,
  webhookId: string,
  page: PageRequest,
) {
  const { org } = await accessOrganization(db, auth, ref, Permission.WebhookList)
  const endpoint = await existingEndpoint(db, org.id, webhookId)
  const rows = listDeliveries(db, org.id, endpoint.id, page)
  return readPage(page, rows, countDeliveries(db, org.id, endpoint.id), deliveryView)
}

/** Sends a delivery again now — same event id, same body — after it was delivered or given up. */
export async function retryDelivery(
  db: Db,
  auth: AuthContext,
  ref: string,
  webhookId: string,
  deliveryId: string,
) {
  return changeOrganization(db, auth, ref, Permission.WebhookUpdate, async ({ trx, org, audit }) => {
    const endpoint = await existingEndpoint(trx, org.id, webhookId)
    const delivery = await findDelivery(trx, org.id, endpoint.id, deliveryId.toLowerCase())
    if (!delivery) throw AppError.notFound()
    requireEnabled(endpoint)
    if (delivery.status === 'pending') throw AppError.conflict('the delivery is already pending')
    const now = nowIso()
    await requeueDelivery(trx, delivery, now)
    await audit('webhook.delivery.retry', 'webhook', endpoint.id, { url: shownUrl(endpoint.url) })
    return deliveryView({ ...delivery, status: 'pending' as const, next_attempt_at: now, updated_at: now })
  })
}
