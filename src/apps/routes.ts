import { conflict, DeleteResult, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
import { AppListQuery, AppPage, AppParams, AppSchema, CreateAppBody, UpdateAppBody } from './schemas.js'
import { createApp, getApp, listOrganizationApps, removeApp, updateAppByRef } from './service.js'

const base = '/organizations/:organizationId/apps'
const noSuchApp = notFound('no such application in the organization')

export const appRoutes = resourceRoutes('Apps', (route) => {
  route({
    method: 'GET',
    url: base,
    operationId: 'listApps',
    summary: 'List applications',
    querystring: AppListQuery,
    answer: Ok(AppPage, "One page of the organization's applications"),
    permission: Permission.AppList,
    handler: ({ db, auth, ref, query }) => listOrganizationApps(db, auth, ref, query),
  })

  route({
    method: 'POST',
    url: base,
    operationId: 'createApp',
    summary: 'Create an application',
    body: CreateAppBody,
    answer: Ok(AppSchema, 'The new application'),
    permission: Permission.AppCreate,
    errors: [conflict('slug is taken')],
    handler: ({ db, auth, ref, body }) => createApp(db, auth, ref, body),
  })

  route({
    method: 'GET',
    url: `${base}/:applicationId`,
    operationId: 'getApp',
    summary: 'Get an application',
    params: AppParams,
    answer: Ok(AppSchema, 'The application'),
    permission: Permission.AppGet,
    errors: [noSuchApp],
    handler: ({ db, auth, ref, params }) => getApp(db, auth, ref, params.applicationId),
  })

  route({
    method: 'PUT',
    url: `${base}/:applicationId`,
    operationId: 'updateApp',
    summary: 'Update an application',
    params: AppParams,
    body: UpdateAppBody,
    answer: Ok(AppSchema, 'The application as updated'),
    permission: Permission.AppUpdate,
    errors: [noSuchApp, conflict('slug is taken')],
    handler: ({ db, auth, ref, params, body }) => updateAppByRef(db, auth, ref, params.applicationId, body),
  })

  route({
    method: 'DELETE',
    url: `${base}/:applicationId`,
    operationId: 'deleteApp',
    summary: 'Delete an application',
    params: AppParams,
    answer: Ok(DeleteResult, 'The application is deleted', { delete: 'OK' }),
    permission: Permission.AppRemove,
    errors: [noSuchApp],
    handler: ({ db, auth, ref, params }) => removeApp(db, auth, ref, params.applicationId),
  })
})
