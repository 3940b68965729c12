import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../http/errors.js'
import { Permission } from '../http/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { requestDeletion } from './command.js'
import {
  DeleteOrganizationResult,
  DeletionListQuery,
  DeletionPage,
  DeletionParams,
  DeletionPreview,
  DeletionReceipt,
} from './schemas.js'
import { deletionPreview, getReceipt, listReceipts } from './service.js'

export const deletionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/organizations/:organizationId',
    {
      config: { permission: Permission.OrganizationRemove, errors: [ErrorCode.ActiveSubscriptions] },
      schema: {
        operationId: 'deleteOrganization',
        tags: ['Organization'],
        summary: 'Delete organization workspace permanently',
        description:
          'Permanently deletes organization workspace and all associated resources including applications, device enrollments, user assignments, and historical data requiring subscription cancellation.',
        params: OrganizationParams,
        response: {
          200: Ok(
            DeleteOrganizationResult,
            'The organization is gone for every reader; its data is purged in the background (see `deletionId`)',
            { delete: 'OK' },
          ),
        },
      },
    },
    async (request) => {
      const { deletionId } = await requestDeletion(app.db, request.auth, request.params.organizationId)
      app.purgeWorker?.kick()
      return ok({ delete: 'OK', deletionId })
    },
  )

  app.get(
    '/organizations/:organizationId/deletion-preview',
    {
      config: { permission: Permission.OrganizationRemove },
      schema: {
        operationId: 'getDeletionPreview',
        tags: ['Organization'],
        summary: 'What deleting the organization would do now',
        params: OrganizationParams,
        response: {
          200: Ok(DeletionPreview, 'What would block a DELETE now, and how much it would remove'),
        },
      },
    },
    async (request) => ok(await deletionPreview(app.db, request.auth, request.params.organizationId)),
  )

  app.get(
    '/deletions',
    {
      schema: {
        operationId: 'listDeletions',
        tags: ['Deletions'],
        summary: 'Receipts of the deletions you requested',
        querystring: DeletionListQuery,
        response: { 200: Ok(DeletionPage, 'One page of your deletion receipts, newest first') },
      },
    },
    async (request) => ok(await listReceipts(app.db, request.auth, request.query)),
  )

  app.get(
    '/deletions/:deletionId',
    {
      config: {
        errors: [answers(ErrorCode.EntityNotFound, 'no such receipt among those you may read')],
      },
      schema: {
        operationId: 'getDeletion',
        tags: ['Deletions'],
        summary: 'A deletion receipt',
        params: DeletionParams,
        response: {
          200: Ok(DeletionReceipt, 'The receipt: what was deleted, by whom, and how far the purge is'),
        },
      },
    },
    async (request) => ok(await getReceipt(app.db, request.auth, request.params.deletionId)),
  )
}
