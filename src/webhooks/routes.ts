import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, DeleteResult, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
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

const tags = ['Webhooks']
const base = '/organizations/:organizationId/webhooks'
const noSuchWebhook = answers(ErrorCode.EntityNotFound, 'no such webhook endpoint in the organization')
const noSuchDelivery = answers(ErrorCode.EntityNotFound, 'no such webhook endpoint or delivery')
const disabled = conflict('the endpoint is disabled; enable it first')

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      config: { permission: Permission.WebhookList },
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: "List the organization's webhook endpoints",
        params: OrganizationParams,
        querystring: WebhookListQuery,
        response: { 200: Ok(WebhookPage, "One page of the organization's webhook endpoints") },
      },
    },
    async (request) =>
      ok(await listWebhooks(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      config: {
        permission: Permission.WebhookCreate,
        idempotency: 'never',
        errors: [conflict('an organization has at most 20 webhook endpoints')],
      },
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Add a webhook endpoint',
        params: OrganizationParams,
        body: CreateWebhookBody,
        response: {
          200: Ok(CreatedWebhookSchema, 'The new endpoint, with its signing secret (shown this once)'),
        },
      },
    },
    async (request) =>
      ok(
        await createWebhook(
          app.db,
          app.webhookPolicy,
          request.auth,
          request.params.organizationId,
          request.body,
        ),
      ),
  )

  app.put(
    `${base}/:webhookId`,
    {
      config: { permission: Permission.WebhookUpdate, errors: [noSuchWebhook] },
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Change a webhook endpoint',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: Ok(WebhookSchema, 'The endpoint as changed') },
      },
    },
    async (request) =>
      ok(
        await updateWebhook(
          app.db,
          app.webhookPolicy,
          request.auth,
          request.params.organizationId,
          request.params.webhookId,
          request.body,
        ),
      ),
  )

  app.delete(
    `${base}/:webhookId`,
    {
      config: { permission: Permission.WebhookRemove, errors: [noSuchWebhook] },
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Remove a webhook endpoint and its delivery log',
        params: WebhookParams,
        response: { 200: Ok(DeleteResult, 'The endpoint is removed', { delete: 'OK' }) },
      },
    },
    async (request) =>
      ok(await removeWebhook(app.db, request.auth, request.params.organizationId, request.params.webhookId)),
  )

  app.post(
    `${base}/:webhookId/test`,
    {
      config: { permission: Permission.WebhookUpdate, errors: [noSuchWebhook, disabled] },
      schema: {
        operationId: 'testWebhook',
        tags,
        summary: 'Send the endpoint a webhook.test event',
        params: WebhookParams,
        response: { 200: Ok(DeliverySchema, 'The test delivery, pending; follow it in the delivery log') },
      },
    },
    async (request) =>
      ok(await testWebhook(app.db, request.auth, request.params.organizationId, request.params.webhookId)),
  )

  app.get(
    `${base}/:webhookId/deliveries`,
    {
      config: { permission: Permission.WebhookList, errors: [noSuchWebhook] },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: "The endpoint's delivery log, newest first",
        params: WebhookParams,
        querystring: WebhookListQuery,
        response: {
          200: Ok(
            DeliveryPage,
            "One page of the endpoint's deliveries, newest first (finished ones are kept 7 days)",
          ),
        },
      },
    },
    async (request) =>
      ok(
        await listWebhookDeliveries(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.webhookId,
          request.query,
        ),
      ),
  )

  app.post(
    `${base}/:webhookId/deliveries/:deliveryId/retry`,
    {
      config: {
        permission: Permission.WebhookUpdate,
        errors: [noSuchDelivery, disabled, conflict('the delivery is already pending')],
      },
      schema: {
        operationId: 'retryWebhookDelivery',
        tags,
        summary: 'Send a delivered or failed delivery again, now',
        params: DeliveryParams,
        response: { 200: Ok(DeliverySchema, 'The delivery, pending again (same webhook-id and body)') },
      },
    },
    async (request) =>
      ok(
        await retryDelivery(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.webhookId,
          request.params.deliveryId,
        ),
      ),
  )
}
