import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, DeleteResult, ok, Ok } from '../http/envelope.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { changeOrganization } from '../organizations/write.js'
import { CreateTokenBody, NewTokenSchema, TokenListQuery, TokenPage, TokenParams } from '../tokens/schemas.js'
import { createToken, listTokens, revokeToken } from '../tokens/service.js'
import type { AuthContext } from '../core/auth-context.js'
import { UserSchema } from './schemas.js'

const tags = ['Users']
const scopedToken = answers(ErrorCode.Forbidden, 'the token is scoped to one organization')

/** Token management needs a full token: a token scoped to one organization must not mint broader ones. */
function requireUnscoped(auth: AuthContext): void {
  if (auth.organizationId !== null) throw new AppError(ErrorCode.Forbidden)
}

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users/me',
    {
      schema: {
        operationId: 'getCurrentUser',
        tags,
        summary: 'The calling user',
        response: { 200: Ok(UserSchema, 'The user the token belongs to') },
      },
    },
    async (request) => ok({ id: request.auth.userId, email: request.auth.email, name: request.auth.name }),
  )

  app.post(
    '/users/me/tokens',
    {
      config: {
        idempotency: 'never',
        errors: [
          scopedToken,
          answers(ErrorCode.EntityNotFound, '`organizationId` names no organization you belong to'),
        ],
      },
      schema: {
        operationId: 'createToken',
        tags,
        summary: 'Create an API token',
        description: 'With `organizationId`, the token reaches only that organization.',
        body: CreateTokenBody,
        response: { 200: Ok(NewTokenSchema, 'The new token; `token` is shown this once') },
      },
    },
    async (request) => {
      requireUnscoped(request.auth)
      const { organizationId, ...rest } = request.body
      const { userId } = request.auth
      const limit = { maxLive: app.config.TOKENS_PER_USER }
      const token =
        organizationId === undefined
          ? await createToken(app.db, userId, { ...rest, organizationId: null }, limit)
          : // A scoped token is a row of its organization: created under its lock, like any write into it.
            await changeOrganization(
              app.db,
              request.auth,
              organizationId,
              Permission.OrganizationGet,
              ({ trx, org }) => createToken(trx, userId, { ...rest, organizationId: org.id }, limit),
            )
      return ok(token)
    },
  )

  app.get(
    '/users/me/tokens',
    {
      config: { errors: [scopedToken] },
      schema: {
        operationId: 'listTokens',
        tags,
        summary: 'List your API tokens',
        querystring: TokenListQuery,
        response: { 200: Ok(TokenPage, 'One page of your tokens, without their secrets') },
      },
    },
    async (request) => {
      requireUnscoped(request.auth)
      return ok(await listTokens(app.db, request.auth.userId, request.query))
    },
  )

  app.delete(
    '/users/me/tokens/:tokenId',
    {
      config: { errors: [scopedToken, answers(ErrorCode.EntityNotFound, 'no such token of yours')] },
      schema: {
        operationId: 'revokeToken',
        tags,
        summary: 'Revoke an API token',
        params: TokenParams,
        response: { 200: Ok(DeleteResult, 'The token no longer works', { delete: 'OK' }) },
      },
    },
    async (request) => {
      requireUnscoped(request.auth)
      await revokeToken(app.db, request.auth.userId, request.params.tokenId.toLowerCase())
      return ok({ delete: 'OK' })
    },
  )
}
