import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DeleteResult, ok, Ok, responses } from '../http/envelope.js'
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
const who = 'Required Permission: base.organization.webhook.* (owner, admin).'

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List the organization's webhook endpoints",
        description: who,
        params: OrganizationParams,
        querystring: WebhookListQuery,
        response: responses({ 200: Ok(WebhookPage) }),
      },
    },
    async (request) =>
      ok(await listWebhooks(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Add a webhook endpoint',
        description: `${who} The answer holds the endpoint's signing secret, shown this once.`,
        params: OrganizationParams,
        body: CreateWebhookBody,
        response: responses({ 200: Ok(CreatedWebhookSchema) }),
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
      schema: {
        tags,
        summary: 'Change a webhook endpoint',
        description: `${who} Disabling it gives up what is pending for it.`,
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: responses({ 200: Ok(WebhookSchema) }),
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
      schema: {
        tags,
        summary: 'Remove a webhook endpoint and its delivery log',
        description: who,
        params: WebhookParams,
        response: responses({ 200: Ok(DeleteResult) }),
      },
    },
    async (request) =>
      ok(await removeWebhook(app.db, request.auth, request.params.organizationId, request.params.webhookId)),
  )

  app.post(
    `${base}/:webhookId/test`,
    {
      schema: {
        tags,
        summary: 'Send the endpoint a webhook.test event',
        description: `${who} Answers with the delivery, pending; follow it in the delivery log.`,
        params: WebhookParams,
        response: responses({ 200: Ok(DeliverySchema) }),
      },
    },
    async (request) =>
      ok(await testWebhook(app.db, request.auth, request.params.organizationId, request.params.webhookId)),
  )

  app.get(
    `${base}/:webhookId/deliveries`,
    {
      schema: {
        tags,
        summary: "The endpoint's delivery log, newest first",
        description: `${who} Finished deliveries are kept for 7 days.`,
        params: WebhookParams,
        querystring: WebhookListQuery,
        response: responses({ 200: Ok(DeliveryPage) }),
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
      schema: {
        tags,
        summary: 'Send a delivered or failed delivery again, now',
        description: `${who} Same webhook-id and body as before.`,
        params: DeliveryParams,
        response: responses({ 200: Ok(DeliverySchema) }),
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
