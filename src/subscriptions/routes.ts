import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
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
      config: { permission: Permission.BillingList },
      schema: {
        operationId: 'listSubscriptions',
        tags,
        summary: 'List subscriptions',
        params: OrganizationParams,
        querystring: SubscriptionListQuery,
        response: { 200: Ok(SubscriptionPage, "One page of the organization's subscriptions") },
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
      config: { permission: Permission.BillingCreate },
      schema: {
        operationId: 'createSubscription',
        tags,
        summary: 'Record a subscription',
        params: OrganizationParams,
        body: CreateSubscriptionBody,
        response: { 200: Ok(SubscriptionSchema, 'The new subscription') },
      },
    },
    async (request) =>
      ok(await createSubscription(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.post(
    `${base}/:subscriptionId/cancel`,
    {
      config: {
        permission: Permission.BillingCancel,
        errors: [
          answers(ErrorCode.EntityNotFound, 'no such subscription in the organization'),
          conflict('already canceled'),
        ],
      },
      schema: {
        operationId: 'cancelSubscription',
        tags,
        summary: 'Cancel a subscription',
        params: SubscriptionParams,
        response: { 200: Ok(SubscriptionSchema, 'The subscription, canceled') },
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
