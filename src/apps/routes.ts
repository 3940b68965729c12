import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DeleteResult, ok, Ok, responses } from '../http/envelope.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { AppListQuery, AppPage, AppParams, AppSchema, CreateAppBody, UpdateAppBody } from './schemas.js'
import { createApp, getApp, listOrganizationApps, removeApp, updateAppByRef } from './service.js'

const tags = ['Apps']
const base = '/organizations/:organizationId/apps'

export const appRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'List applications',
        params: OrganizationParams,
        querystring: AppListQuery,
        response: responses({ 200: Ok(AppPage) }),
      },
    },
    async (request) =>
      ok(await listOrganizationApps(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create an application',
        params: OrganizationParams,
        body: CreateAppBody,
        response: responses({ 200: Ok(AppSchema) }),
      },
    },
    async (request) => ok(await createApp(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.get(
    `${base}/:applicationId`,
    {
      schema: {
        tags,
        summary: 'Get an application',
        params: AppParams,
        response: responses({ 200: Ok(AppSchema) }),
      },
    },
    async (request) =>
      ok(await getApp(app.db, request.auth, request.params.organizationId, request.params.applicationId)),
  )

  app.put(
    `${base}/:applicationId`,
    {
      schema: {
        tags,
        summary: 'Update an application',
        params: AppParams,
        body: UpdateAppBody,
        response: responses({ 200: Ok(AppSchema) }),
      },
    },
    async (request) =>
      ok(
        await updateAppByRef(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          request.body,
        ),
      ),
  )

  app.delete(
    `${base}/:applicationId`,
    {
      schema: {
        tags,
        summary: 'Delete an application',
        params: AppParams,
        response: responses({ 200: Ok(DeleteResult) }),
      },
    },
    async (request) =>
      ok(await removeApp(app.db, request.auth, request.params.organizationId, request.params.applicationId)),
  )
}
