import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
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
import { restoreDeletion } from './restore.js'
import { deletionPreview, getReceipt, listReceipts } from './service.js'

export const deletionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/organizations/:organizationId',
    {
      config: {
        limit: 'organization-delete',
        // The answer names the deletion, not the organization's data: a retry after the purge still gets it.
        idempotency: 'caller',
        permission: Permission.OrganizationRemove,
        errors: [ErrorCode.ActiveSubscriptions, ErrorCode.LegalHold],
      },
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
      const { deletionId, purgeAt } = await requestDeletion(
        app.db,
        request.auth,
        request.params.organizationId,
        {
          graceSeconds: app.config.DELETION_GRACE_SECONDS,
          quarantineSeconds: app.config.SLUG_QUARANTINE_SECONDS,
        },
      )
      app.purgeWorker?.kick()
      return ok({ delete: 'OK', deletionId, ...(purgeAt ? { purgeAt } : {}) })
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
    async (request) =>
      ok(
        await deletionPreview(
          app.db,
          request.auth,
          request.params.organizationId,
          app.config.DELETION_GRACE_SECONDS,
        ),
      ),
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

  app.post(
    '/deletions/:deletionId/restore',
    {
      config: {
        // The receipt, like the deletion's own, outlives the organization.
        idempotency: 'caller',
        errors: [
          answers(
            ErrorCode.EntityNotFound,
            'no such receipt, or you neither requested it nor owned the organization',
          ),
          conflict('the purge has started; the organization can no longer be restored'),
          conflict('the organization has been purged'),
          conflict('the organization has already been restored'),
        ],
      },
      schema: {
        operationId: 'restoreDeletion',
        tags: ['Deletions'],
        summary: 'Restore an organization whose deletion is still scheduled',
        params: DeletionParams,
        response: {
          200: Ok(DeletionReceipt, 'The receipt, now `restored`; the organization is back as it was'),
        },
      },
    },
    async (request) => ok(await restoreDeletion(app.db, request.auth, request.params.deletionId)),
  )
}
