import { conflict, DeleteResult, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  DeliveryPage,
  DeliveryParams,
  DeliverySchema,
  UpdateWebhookBody,
  WebhookListQuery,
  WebhookPage,
  WebhookParams,
  WebhookSchema,
} from './schemas.js'
import {
  createWebhook,
  listWebhookDeliveries,
  listWebhooks,
  removeWebhook,
  retryDelivery,
  testWebhook,
  updateWebhook,
} from './service.js'

const base = '/organizations/:organizationId/webhooks'
const noSuchWebhook = notFound('no such webhook endpoint in the organization')
const noSuchDelivery = notFound('no such webhook endpoint or delivery')
const disabled = conflict('the endpoint is disabled; enable it first')

export const webhookRoutes = resourceRoutes('Webhooks', (route, app) => {
  route({
    method: 'GET',
    url: base,
    operationId: 'listWebhooks',
    summary: "List the organization's webhook endpoints",
    querystring: WebhookListQuery,
    answer: Ok(WebhookPage, "One page of the organization's webhook endpoints"),
    permission: Permission.WebhookList,
    handler: ({ db, auth, ref, query }) => listWebhooks(db, auth, ref, query),
  })

  route({
    method: 'POST',
    url: base,
    operationId: 'createWebhook',
    summary: 'Add a webhook endpoint',
    body: CreateWebhookBody,
    answer: Ok(CreatedWebhookSchema, 'The new endpoint, with its signing secret (shown this once)'),
    permission: Permission.WebhookCreate,
    idempotency: 'never',
    errors: [conflict('an organization has at most 20 webhook endpoints')],
    handler: ({ db, auth, ref, body }) => createWebhook(db, app.webhookPolicy, auth, ref, body),
  })

  route({
    method: 'PUT',
    url: `${base}/:webhookId`,
    operationId: 'updateWebhook',
    summary: 'Change a webhook endpoint',
    params: WebhookParams,
    body: UpdateWebhookBody,
    answer: Ok(WebhookSchema, 'The endpoint as changed'),
    permission: Permission.WebhookUpdate,
    errors: [noSuchWebhook],
    handler: ({ db, auth, ref, params, body }) =>
      updateWebhook(db, app.webhookPolicy, auth, ref, params.webhookId, body),
  })

  route({
    method: 'DELETE',
    url: `${base}/:webhookId`,
    operationId: 'deleteWebhook',
    summary: 'Remove a webhook endpoint and its delivery log',
    params: WebhookParams,
    answer: Ok(DeleteResult, 'The endpoint is removed', { delete: 'OK' }),
    permission: Permission.WebhookRemove,
    errors: [noSuchWebhook],
    handler: ({ db, auth, ref, params }) => removeWebhook(db, auth, ref, params.webhookId),
  })

  route({
    method: 'POST',
    url: `${base}/:webhookId/test`,
    operationId: 'testWebhook',
    summary: 'Send the endpoint a webhook.test event',
    params: WebhookParams,
    answer: Ok(DeliverySchema, 'The test delivery, pending; follow it in the delivery log'),
    permission: Permission.WebhookUpdate,
    errors: [noSuchWebhook, disabled],
    handler: ({ db, auth, ref, params }) => testWebhook(db, auth, ref, params.webhookId),
  })

  route({
    method: 'GET',
    url: `${base}/:webhookId/deliveries`,
    operationId: 'listWebhookDeliveries',
    summary: "The endpoint's delivery log, newest first",
    params: WebhookParams,
    querystring: WebhookListQuery,
    answer: Ok(
      DeliveryPage,
      "One page of the endpoint's deliveries, newest first (finished ones are kept 7 days)",
    ),
    permission: Permission.WebhookList,
    errors: [noSuchWebhook],
    handler: ({ db, auth, ref, params, query }) =>
      listWebhookDeliveries(db, auth, ref, params.webhookId, query),
  })

  route({
    method: 'POST',
    url: `${base}/:webhookId/deliveries/:deliveryId/retry`,
    operationId: 'retryWebhookDelivery',
    summary: 'Send a delivered or failed delivery again, now',
    params: DeliveryParams,
    answer: Ok(DeliverySchema, 'The delivery, pending again (same webhook-id and body)'),
    permission: Permission.WebhookUpdate,
    errors: [noSuchDelivery, disabled, conflict('the delivery is already pending')],
    handler: ({ db, auth, ref, params }) => retryDelivery(db, auth, ref, params.webhookId, params.deliveryId),
  })
})
