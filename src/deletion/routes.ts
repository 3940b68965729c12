import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok, responses } from '../http/envelope.js'
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
      config: { limit: 'organization-delete' },
      schema: {
        tags: ['Organization'],
        summary: 'Delete organization workspace permanently',
        description:
          'Required Permission: base.organization.management.remove. Permanently deletes organization workspace and all associated resources including applications, device enrollments, user assignments, and historical data requiring subscription cancellation.',
        params: OrganizationParams,
        response: responses({ 200: Ok(DeleteOrganizationResult) }),
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
      schema: {
        tags: ['Organization'],
        summary: 'What deleting the organization would do now',
        params: OrganizationParams,
        response: responses({ 200: Ok(DeletionPreview) }),
      },
    },
    async (request) => ok(await deletionPreview(app.db, request.auth, request.params.organizationId)),
  )

  app.get(
    '/deletions',
    {
      schema: {
        tags: ['Deletions'],
        summary: 'Receipts of the deletions you requested',
        querystring: DeletionListQuery,
        response: responses({ 200: Ok(DeletionPage) }),
      },
    },
    async (request) => ok(await listReceipts(app.db, request.auth, request.query)),
  )

  app.get(
    '/deletions/:deletionId',
    {
      schema: {
        tags: ['Deletions'],
        summary: 'A deletion receipt',
        params: DeletionParams,
        response: responses({ 200: Ok(DeletionReceipt) }),
      },
    },
    async (request) => ok(await getReceipt(app.db, request.auth, request.params.deletionId)),
  )

  app.post(
    '/deletions/:deletionId/restore',
    {
      schema: {
        tags: ['Deletions'],
        summary: 'Restore an organization whose deletion is still scheduled',
        params: DeletionParams,
        response: responses({ 200: Ok(DeletionReceipt) }),
      },
    },
    async (request) => ok(await restoreDeletion(app.db, request.auth, request.params.deletionId)),
  )
}
