import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok, responses, DeleteResult } from '../http/envelope.js'
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

export const collaboratorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'List collaborators',
        params: OrganizationParams,
        querystring: CollaboratorListQuery,
        response: responses({ 200: Ok(CollaboratorPage) }),
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
      schema: {
        tags,
        summary: 'Add a collaborator by email',
        params: OrganizationParams,
        body: AddCollaboratorBody,
        response: responses({ 200: Ok(CollaboratorSchema) }),
      },
    },
    async (request) =>
      ok(await addCollaborator(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.put(
    `${base}/:collaboratorId`,
    {
      schema: {
        tags,
        summary: "Change a collaborator's role",
        params: CollaboratorParams,
        body: UpdateCollaboratorBody,
        response: responses({ 200: Ok(CollaboratorSchema) }),
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
      schema: {
        tags,
        summary: 'Remove a collaborator',
        params: CollaboratorParams,
        response: responses({ 200: Ok(DeleteResult) }),
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
