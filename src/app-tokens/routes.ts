import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppParams } from '../apps/schemas.js'
import { answers, DeleteResult, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import {
  AppTokenListQuery,
  AppTokenPage,
  AppTokenParams,
  CreateAppTokenBody,
  NewAppTokenSchema,
} from './schemas.js'
import { createAppToken, listAppTokens, revokeAppToken } from './service.js'

const tags = ['App tokens']
const base = '/organizations/:organizationId/apps/:applicationId/tokens'
const noSuchApp = answers(ErrorCode.EntityNotFound, 'no such application in the organization')

export const appTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    base,
    {
      config: { permission: Permission.AppTokenCreate, idempotency: 'never', errors: [noSuchApp] },
      schema: {
        operationId: 'createAppToken',
        tags,
        summary: 'Create an app token for CI uploads',
        description:
          'The token is shown only in this answer; it works only on /v1/integrations/builds, for this app.',
        params: AppParams,
        body: CreateAppTokenBody,
        response: { 200: Ok(NewAppTokenSchema, 'The new app token, with its value (shown this once)') },
      },
    },
    async (request) =>
      ok(
        await createAppToken(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          request.body,
        ),
      ),
  )

  app.get(
    base,
    {
      config: { permission: Permission.AppTokenList, errors: [noSuchApp] },
      schema: {
        operationId: 'listAppTokens',
        tags,
        summary: "List an app's tokens",
        description: 'Values are never shown again.',
        params: AppParams,
        querystring: AppTokenListQuery,
        response: { 200: Ok(AppTokenPage, "One page of the app's tokens, without their values") },
      },
    },
    async (request) =>
      ok(
        await listAppTokens(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          request.query,
        ),
      ),
  )

  app.delete(
    `${base}/:tokenId`,
    {
      config: {
        permission: Permission.AppTokenRemove,
        errors: [answers(ErrorCode.EntityNotFound, 'no such application, or no such token of it')],
      },
      schema: {
        operationId: 'revokeAppToken',
        tags,
        summary: 'Revoke an app token',
        params: AppTokenParams,
        response: { 200: Ok(DeleteResult, 'The token no longer works') },
      },
    },
    async (request) =>
      ok(
        await revokeAppToken(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          request.params.tokenId,
        ),
      ),
  )
}
