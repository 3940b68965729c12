import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppParams } from '../apps/schemas.js'
import { DeleteResult, ok, Ok, responses } from '../http/envelope.js'
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

export const appTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create an app token for CI uploads',
        description:
          'Required Permission: mad.application.token.create. The token is shown only in this answer; it works only on /v1/integrations/builds, for this app.',
        params: AppParams,
        body: CreateAppTokenBody,
        response: responses({ 200: Ok(NewAppTokenSchema) }),
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
      schema: {
        tags,
        summary: "List an app's tokens",
        description: 'Required Permission: mad.application.token.list. Values are never shown again.',
        params: AppParams,
        querystring: AppTokenListQuery,
        response: responses({ 200: Ok(AppTokenPage) }),
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
      schema: {
        tags,
        summary: 'Revoke an app token',
        description: 'Required Permission: mad.application.token.remove.',
        params: AppTokenParams,
        response: responses({ 200: Ok(DeleteResult) }),
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
