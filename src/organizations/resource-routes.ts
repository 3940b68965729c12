import type { FastifyContextConfig, FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Static, TSchema } from 'typebox'
import type { AuthContext } from '../core/auth-context.js'
import type { Permission } from '../core/permissions.js'
import type { Db } from '../db/connect.js'
import type { DeclaredError } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { answers, ok } from '../http/envelope.js'
import { OrganizationParams } from './schemas.js'

/** The 3001 a route answers, and when: an id the organization does not hold is as unknown as a made-up one. */
export function notFound(when: string): DeclaredError {
  return answers(ErrorCode.EntityNotFound, when)
}

/** What a handler of an organization's resource is handed: the validated request, and the database. */
interface RouteInput<P, Q, B> {
  db: Db
  auth: AuthContext
  /** The organization's id or slug, as the path gives it. */
  ref: string
  params: P
  query: Q
  body: B
}

/**
 * One route of an organization's resource: its OpenAPI operation, the permission its service checks, and the
 * service call whose result is the answer's `data`.
 */
interface ResourceRoute<P extends TSchema, Q extends TSchema, B extends TSchema> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string
  operationId: string
  summary: string
  description?: string
  /** The path's parameters; the organization's alone when absent. */
  params?: P
  querystring?: Q
  body?: B
  /** The 200 answer: `Ok(data, description)`. */
  answer: TSchema
  permission: Permission
  idempotency?: FastifyContextConfig['idempotency']
  errors?: readonly DeclaredError[]
  handler(input: RouteInput<Static<P>, Static<Q>, Static<B>>): Promise<unknown>
}

/**
 * Registers the routes of one resource of an organization (its tag in the document) in the shape every one of
 * them shares: the schema and config the OpenAPI document reads, and the success envelope around the answer.
 */
export function resourceRoutes(
  tag: string,
  declare: (route: DeclareRoute, app: FastifyInstance) => void,
): FastifyPluginAsync {
  return async (app) => declare(routeOf(app, tag), app)
}

type DeclareRoute = ReturnType<typeof routeOf>

function routeOf(app: FastifyInstance, tag: string) {
  const tags = [tag]
  return <
    P extends TSchema = typeof OrganizationParams,
    Q extends TSchema = TSchema,
    B extends TSchema = TSchema,
  >(
    route: ResourceRoute<P, Q, B>,
  ) => {
    const { method, url, operationId, summary, description, querystring, body, answer } = route
    const { permission, idempotency, errors, handler } = route
    app.route({
      method,
      url,
      config: { permission, ...(idempotency && { idempotency }), ...(errors && { errors }) },
      schema: {
        operationId,
        tags,
        summary,
        ...(description !== undefined && { description }),
        params: route.params ?? OrganizationParams,
        ...(querystring && { querystring }),
        ...(body && { body }),
        response: { 200: answer },
      },
      // Fastify has validated each part against the schema above before the handler runs.
      handler: async (request) =>
        ok(
          await handler({
            db: app.db,
            auth: request.auth,
            ref: (request.params as { organizationId: string }).organizationId,
            params: request.params as Static<P>,
            query: request.query as Static<Q>,
            body: request.body as Static<B>,
          }),
        ),
    })
  }
}
