import { conflict, DeleteResult, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
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

const base = '/organizations/:organizationId/collaborators'
const noSuchCollaborator = notFound('no such collaborator in the organization')

export const collaboratorRoutes = resourceRoutes('Collaborators', (route) => {
  route({
    method: 'GET',
    url: base,
    operationId: 'listCollaborators',
    summary: 'List collaborators',
    querystring: CollaboratorListQuery,
    answer: Ok(CollaboratorPage, "One page of the organization's collaborators"),
    permission: Permission.CollaboratorList,
    handler: ({ db, auth, ref, query }) => listOrganizationCollaborators(db, auth, ref, query),
  })

  route({
    method: 'POST',
    url: base,
    operationId: 'addCollaborator',
    summary: 'Add a collaborator by email',
    description: 'A user with that email is created when there is none.',
    body: AddCollaboratorBody,
    answer: Ok(CollaboratorSchema, 'The new collaborator'),
    permission: Permission.CollaboratorCreate,
    errors: [conflict('already a collaborator')],
    handler: ({ db, auth, ref, body }) => addCollaborator(db, auth, ref, body),
  })

  route({
    method: 'PUT',
    url: `${base}/:collaboratorId`,
    operationId: 'updateCollaborator',
    summary: "Change a collaborator's role",
    params: CollaboratorParams,
    body: UpdateCollaboratorBody,
    answer: Ok(CollaboratorSchema, 'The collaborator with the new role'),
    permission: Permission.CollaboratorUpdate,
    errors: [noSuchCollaborator, conflict("the owner's role changes only through change-owner")],
    handler: ({ db, auth, ref, params, body }) =>
      changeCollaboratorRole(db, auth, ref, params.collaboratorId, body.role),
  })

  route({
    method: 'DELETE',
    url: `${base}/:collaboratorId`,
    operationId: 'removeCollaborator',
    summary: 'Remove a collaborator',
    params: CollaboratorParams,
    answer: Ok(DeleteResult, 'The collaborator is removed', { delete: 'OK' }),
    permission: Permission.CollaboratorRemove,
    errors: [noSuchCollaborator, conflict('the owner cannot be removed')],
    handler: ({ db, auth, ref, params }) => removeCollaborator(db, auth, ref, params.collaboratorId),
  })
})
