import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, DeleteResult, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import {
  AddCollaboratorBody,
  CollaboratorListQuery,
  CollaboratorPage,
  CollaboratorParams,
  CollaboratorSchema,
  UpdateCollaboratorBody,
} from './schemas.js'
import {
  addCollaborator,
  changeCollaboratorRole,
  listOrganizationCollaborators,
  removeCollaborator,
} from './service.js'

const tags = ['Collaborators']
const base = '/organizations/:organizationId/collaborators'
const noSuchCollaborator = answers(ErrorCode.EntityNotFound, 'no such collaborator in the organization')

export const collaboratorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      config: { permission: Permission.CollaboratorList },
      schema: {
        operationId: 'listCollaborators',
        tags,
        summary: 'List collaborators',
        params: OrganizationParams,
        querystring: CollaboratorListQuery,
        response: { 200: Ok(CollaboratorPage, "One page of the organization's collaborators") },
      },
    },
    async (request) =>
      ok(
        await listOrganizationCollaborators(
          app.db,
          request.auth,
          request.params.organizationId,
          request.query,
        ),
      ),
  )

  app.post(
    base,
    {
      config: { permission: Permission.CollaboratorCreate, errors: [conflict('already a collaborator')] },
      schema: {
        operationId: 'addCollaborator',
        tags,
        summary: 'Add a collaborator by email',
        description: 'A user with that email is created when there is none.',
        params: OrganizationParams,
        body: AddCollaboratorBody,
        response: { 200: Ok(CollaboratorSchema, 'The new collaborator') },
      },
    },
    async (request) =>
      ok(await addCollaborator(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.put(
    `${base}/:collaboratorId`,
    {
      config: {
        permission: Permission.CollaboratorUpdate,
        errors: [noSuchCollaborator, conflict("the owner's role changes only through change-owner")],
      },
      schema: {
        operationId: 'updateCollaborator',
        tags,
        summary: "Change a collaborator's role",
        params: CollaboratorParams,
        body: UpdateCollaboratorBody,
        response: { 200: Ok(CollaboratorSchema, 'The collaborator with the new role') },
      },
    },
    async (request) =>
      ok(
        await changeCollaboratorRole(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.collaboratorId,
          request.body.role,
        ),
      ),
  )

  app.delete(
    `${base}/:collaboratorId`,
    {
      config: {
        permission: Permission.CollaboratorRemove,
        errors: [noSuchCollaborator, conflict('the owner cannot be removed')],
      },
      schema: {
        operationId: 'removeCollaborator',
        tags,
        summary: 'Remove a collaborator',
        params: CollaboratorParams,
        response: { 200: Ok(DeleteResult, 'The collaborator is removed', { delete: 'OK' }) },
      },
    },
    async (request) =>
      ok(
        await removeCollaborator(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.collaboratorId,
        ),
      ),
  )
}
