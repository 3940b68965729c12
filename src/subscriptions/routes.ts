import { conflict, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
import {
  CreateSubscriptionBody,
  SubscriptionListQuery,
  SubscriptionPage,
  SubscriptionParams,
  SubscriptionSchema,
} from './schemas.js'
import { cancelSubscriptionById, createSubscription, listOrganizationSubscriptions } from './service.js'

const base = '/organizations/:organizationId/subscriptions'

export const subscriptionRoutes = resourceRoutes('Subscriptions', (route) => {
  route({
    method: 'GET',
    url: base,
    operationId: 'listSubscriptions',
    summary: 'List subscriptions',
    querystring: SubscriptionListQuery,
    answer: Ok(SubscriptionPage, "One page of the organization's subscriptions"),
    permission: Permission.BillingList,
    handler: ({ db, auth, ref, query }) => listOrganizationSubscriptions(db, auth, ref, query),
  })

  route({
    method: 'POST',
    url: base,
    operationId: 'createSubscription',
    summary: 'Record a subscription',
    body: CreateSubscriptionBody,
    answer: Ok(SubscriptionSchema, 'The new subscription'),
    permission: Permission.BillingCreate,
    handler: ({ db, auth, ref, body }) => createSubscription(db, auth, ref, body),
  })

  route({
    method: 'POST',
    url: `${base}/:subscriptionId/cancel`,
    operationId: 'cancelSubscription',
    summary: 'Cancel a subscription',
    params: SubscriptionParams,
    answer: Ok(SubscriptionSchema, 'The subscription, canceled'),
    permission: Permission.BillingCancel,
    errors: [notFound('no such subscription in the organization'), conflict('already canceled')],
    handler: ({ db, auth, ref, params }) => cancelSubscriptionById(db, auth, ref, params.subscriptionId),
  })
})
