import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok, responses } from '../http/envelope.js'
import { permissionsOf } from '../http/permissions.js'
import {
  ActionsResult,
  ChangeOwnerBody,
  ChangeOwnerResult,
  CheckSlugParams,
  CheckSlugResult,
  CreateOrganizationBody,
  ListOrganizationsQuery,
  OrganizationPage,
  OrganizationParams,
  OrganizationSchema,
  UpdateOrganizationBody,
} from './schemas.js'
import {
  changeOwner,
  checkSlug,
  createOrganization,
  getOrganization,
  listOrganizations,
  updateOrganizationById,
} from './service.js'
import { resolveMembership } from './access.js'

const tags = ['Organization']

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/organizations',
    {
      schema: {
        tags,
        summary: 'List the organizations you belong to',
        querystring: ListOrganizationsQuery,
        response: responses({ 200: Ok(OrganizationPage) }),
      },
    },
    async (request) => ok(await listOrganizations(app.db, request.auth, request.query)),
  )

  app.post(
    '/organizations',
    {
      schema: {
        tags,
        summary: 'Create an organization workspace',
        body: CreateOrganizationBody,
        response: responses({ 200: Ok(OrganizationSchema) }),
      },
    },
    async (request) => ok(await createOrganization(app.db, request.auth, request.body)),
  )

  app.get(
    '/organizations/check-slug/:slug',
    {
      schema: {
        tags,
        summary: 'Check whether a slug can be used',
        params: CheckSlugParams,
        response: responses({ 200: Ok(CheckSlugResult) }),
      },
    },
    async (request) => ok(await checkSlug(app.db, request.params.slug)),
  )

  app.get(
    '/organizations/:organizationId',
    {
      config: { cachedToken: true },
      schema: {
        tags,
        summary: 'Get an organization',
        params: OrganizationParams,
        response: responses({ 200: Ok(OrganizationSchema) }),
      },
    },
    async (request) => ok(await getOrganization(app.db, request.auth, request.params.organizationId)),
  )

  app.put(
    '/organizations/:organizationId',
    {
      schema: {
        tags,
        summary: 'Update an organization',
        params: OrganizationParams,
        body: UpdateOrganizationBody,
        response: responses({ 200: Ok(OrganizationSchema) }),
      },
    },
    async (request) =>
      ok(await updateOrganizationById(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.get(
    '/organizations/:organizationId/actions',
    {
      config: { cachedToken: true },
      schema: {
        tags,
        summary: 'Permissions you hold in an organization',
        params: OrganizationParams,
        response: responses({ 200: Ok(ActionsResult) }),
      },
    },
    async (request) => {
      const { role } = await resolveMembership(app.db, request.auth, request.params.organizationId)
      return ok({ items: permissionsOf(role) })
    },
  )

  app.post(
    '/organizations/:organizationId/change-owner',
    {
      schema: {
        tags,
        summary: 'Hand the organization to another collaborator',
        params: OrganizationParams,
        body: ChangeOwnerBody,
        response: responses({ 200: Ok(ChangeOwnerResult) }),
      },
    },
    async (request) =>
      ok(await changeOwner(app.db, request.auth, request.params.organizationId, request.body.newOwner)),
  )
}
