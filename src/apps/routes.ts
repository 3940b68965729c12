import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, DeleteResult, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { AppListQuery, AppPage, AppParams, AppSchema, CreateAppBody, UpdateAppBody } from './schemas.js'
import { createApp, getApp, listOrganizationApps, removeApp, updateAppByRef } from './service.js'

const tags = ['Apps']
const base = '/organizations/:organizationId/apps'
const noSuchApp = answers(ErrorCode.EntityNotFound, 'no such application in the organization')

export const appRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      config: { permission: Permission.AppList },
      schema: {
        operationId: 'listApps',
        tags,
        summary: 'List applications',
        params: OrganizationParams,
        querystring: AppListQuery,
        response: { 200: Ok(AppPage, "One page of the organization's applications") },
      },
    },
    async (request) =>
      ok(await listOrganizationApps(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      config: { permission: Permission.AppCreate, errors: [conflict('slug is taken')] },
      schema: {
        operationId: 'createApp',
        tags,
        summary: 'Create an application',
        params: OrganizationParams,
        body: CreateAppBody,
        response: { 200: Ok(AppSchema, 'The new application') },
      },
    },
    async (request) => ok(await createApp(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.get(
    `${base}/:applicationId`,
    {
      config: { permission: Permission.AppGet, errors: [noSuchApp] },
      schema: {
        operationId: 'getApp',
        tags,
        summary: 'Get an application',
        params: AppParams,
        response: { 200: Ok(AppSchema, 'The application') },
      },
    },
    async (request) =>
      ok(await getApp(app.db, request.auth, request.params.organizationId, request.params.applicationId)),
  )

  app.put(
    `${base}/:applicationId`,
    {
      config: { permission: Permission.AppUpdate, errors: [noSuchApp, conflict('slug is taken')] },
      schema: {
        operationId: 'updateApp',
        tags,
        summary: 'Update an application',
        params: AppParams,
        body: UpdateAppBody,
        response: { 200: Ok(AppSchema, 'The application as updated') },
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
      config: { permission: Permission.AppRemove, errors: [noSuchApp] },
      schema: {
        operationId: 'deleteApp',
        tags,
        summary: 'Delete an application',
        params: AppParams,
        response: { 200: Ok(DeleteResult, 'The application is deleted', { delete: 'OK' }) },
      },
    },
    async (request) =>
      ok(await removeApp(app.db, request.auth, request.params.organizationId, request.params.applicationId)),
  )
}
