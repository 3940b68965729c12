import { AppParams } from '../apps/schemas.js'
import { DeleteResult, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
import {
  AppTokenListQuery,
  AppTokenPage,
  AppTokenParams,
  CreateAppTokenBody,
  NewAppTokenSchema,
} from './schemas.js'
import { createAppToken, listAppTokens, revokeAppToken } from './service.js'

const base = '/organizations/:organizationId/apps/:applicationId/tokens'
const noSuchApp = notFound('no such application in the organization')

export const appTokenRoutes = resourceRoutes('App tokens', (route) => {
  route({
    method: 'POST',
    url: base,
    operationId: 'createAppToken',
    summary: 'Create an app token for CI uploads',
    description:
      'The token is shown only in this answer; it works only on /v1/integrations/builds, for this app.',
    params: AppParams,
    body: CreateAppTokenBody,
    answer: Ok(NewAppTokenSchema, 'The new app token, with its value (shown this once)'),
    permission: Permission.AppTokenCreate,
    idempotency: 'never',
    errors: [noSuchApp],
    handler: ({ db, auth, ref, params, body }) => createAppToken(db, auth, ref, params.applicationId, body),
  })

  route({
    method: 'GET',
    url: base,
    operationId: 'listAppTokens',
    summary: "List an app's tokens",
    description: 'Values are never shown again.',
    params: AppParams,
    querystring: AppTokenListQuery,
    answer: Ok(AppTokenPage, "One page of the app's tokens, without their values"),
    permission: Permission.AppTokenList,
    errors: [noSuchApp],
    handler: ({ db, auth, ref, params, query }) => listAppTokens(db, auth, ref, params.applicationId, query),
  })

  route({
    method: 'DELETE',
    url: `${base}/:tokenId`,
    operationId: 'revokeAppToken',
    summary: 'Revoke an app token',
    params: AppTokenParams,
    answer: Ok(DeleteResult, 'The token no longer works'),
    permission: Permission.AppTokenRemove,
    errors: [notFound('no such application, or no such token of it')],
    handler: ({ db, auth, ref, params }) =>
      revokeAppToken(db, auth, ref, params.applicationId, params.tokenId),
  })
})
