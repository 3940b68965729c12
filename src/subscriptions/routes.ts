import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok, responses } from '../http/envelope.js'
import { OrganizationParams } from '../organizations/schemas.js'
import {
  CreateSubscriptionBody,
  SubscriptionListQuery,
  SubscriptionPage,
  SubscriptionParams,
  SubscriptionSchema,
} from './schemas.js'
import { cancelSubscriptionById, createSubscription, listOrganizationSubscriptions } from './service.js'

const tags = ['Subscriptions']
const base = '/organizations/:organizationId/subscriptions'

export const subscriptionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'List subscriptions',
        params: OrganizationParams,
        querystring: SubscriptionListQuery,
        response: responses({ 200: Ok(SubscriptionPage) }),
      },
    },
    async (request) =>
      ok(
        await listOrganizationSubscriptions(
          app.db,
          request.auth,
          request.params.organizationId,
          request.query,
        ),
      ),
  )

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Record a subscription',
        params: OrganizationParams,
        body: CreateSubscriptionBody,
        response: responses({ 200: Ok(SubscriptionSchema) }),
      },
    },
    async (request) =>
      ok(await createSubscription(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.post(
    `${base}/:subscriptionId/cancel`,
    {
      schema: {
        tags,
        summary: 'Cancel a subscription',
        params: SubscriptionParams,
        response: responses({ 200: Ok(SubscriptionSchema) }),
      },
    },
    async (request) =>
      ok(
        await cancelSubscriptionById(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.subscriptionId,
        ),
      ),
  )
}
