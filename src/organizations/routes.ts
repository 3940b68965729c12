import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission, permissionsOf } from '../core/permissions.js'
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

const scopedToken = answers(ErrorCode.Forbidden, 'the token is scoped to one organization')

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/organizations',
    {
      schema: {
        operationId: 'listOrganizations',
        tags,
        summary: 'List the organizations you belong to',
        querystring: ListOrganizationsQuery,
        response: { 200: Ok(OrganizationPage, 'One page of your organizations') },
      },
    },
    async (request) => ok(await listOrganizations(app.db, request.auth, request.query)),
  )

  app.post(
    '/organizations',
    {
      config: { idempotency: 'answer', errors: [scopedToken, conflict('slug is taken')] },
      schema: {
        operationId: 'createOrganization',
        tags,
        summary: 'Create an organization workspace',
        description: 'You become its owner.',
        body: CreateOrganizationBody,
        response: { 200: Ok(OrganizationSchema, 'The new organization') },
      },
    },
    async (request) => {
      const organization = await createOrganization(app.db, request.auth, request.body)
      // Its data key now rather than at its first upload (docs/api.md §13); an older organization gets one then.
      await app.keyring.provision(organization.id)
      return ok(organization)
    },
  )

  // `/organizations/check-slug/{slug}` would sit beside `/organizations/{organizationId}/…` in the document,
  // which no reader or tool can tell apart by shape (the router can: `check-slug` is a reserved slug). The
  // document lists the query form; the path form stays for clients that use it.
  const checkSlugRoute = {
    schema: {
      operationId: 'checkSlug',
      tags,
      summary: 'Check whether a slug can be used',
      description:
        'Whether a new organization could take this slug now, and if not why. Also answers at `GET /v1/organizations/check-slug/{slug}`.',
      querystring: CheckSlugParams,
      response: { 200: Ok(CheckSlugResult, 'Whether the slug is free, and why not (empty when valid)') },
    },
  }
  app.get('/organizations/check-slug', checkSlugRoute, async (request) =>
    ok(await checkSlug(app.db, request.query.slug)),
  )
  app.get(
    '/organizations/check-slug/:slug',
    { schema: { hide: true, params: CheckSlugParams, response: checkSlugRoute.schema.response } },
    async (request) => ok(await checkSlug(app.db, request.params.slug)),
  )

  app.get(
    '/organizations/:organizationId',
    {
      config: { permission: Permission.OrganizationGet, cachedToken: true },
      schema: {
        operationId: 'getOrganization',
        tags,
        summary: 'Get an organization',
        params: OrganizationParams,
        response: { 200: Ok(OrganizationSchema, 'The organization, with your role in it') },
      },
    },
    async (request) => ok(await getOrganization(app.db, request.auth, request.params.organizationId)),
  )

  app.put(
    '/organizations/:organizationId',
    {
      config: { permission: Permission.OrganizationUpdate, errors: [conflict('slug is taken')] },
      schema: {
        operationId: 'updateOrganization',
        tags,
        summary: 'Update an organization',
        params: OrganizationParams,
        body: UpdateOrganizationBody,
        response: { 200: Ok(OrganizationSchema, 'The organization as updated') },
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
        operationId: 'listOrganizationActions',
        tags,
        summary: 'Permissions you hold in an organization',
        params: OrganizationParams,
        response: { 200: Ok(ActionsResult, 'The permission strings your role grants here') },
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
      config: {
        permission: Permission.OrganizationOwnerChange,
        errors: [
          answers(ErrorCode.EntityNotFound, '`newOwner` is not a collaborator of the organization'),
          conflict('already the owner'),
        ],
      },
      schema: {
        operationId: 'changeOrganizationOwner',
        tags,
        summary: 'Hand the organization to another collaborator',
        description: 'The old owner stays, as an admin.',
        params: OrganizationParams,
        body: ChangeOwnerBody,
        response: { 200: Ok(ChangeOwnerResult, 'The organization has its new owner') },
      },
    },
    async (request) =>
      ok(await changeOwner(app.db, request.auth, request.params.organizationId, request.body.newOwner)),
  )
}
