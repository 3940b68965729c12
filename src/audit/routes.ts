import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { AuditListQuery, AuditPage } from './schemas.js'
import { listOrganizationAudit } from './service.js'

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/organizations/:organizationId/audit',
    {
      config: { permission: Permission.AuditList },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['Audit'],
        summary: "The organization's history, newest first",
        params: OrganizationParams,
        querystring: AuditListQuery,
        response: { 200: Ok(AuditPage, "One page of the organization's audit events") },
      },
    },
    async (request) =>
      ok(await listOrganizationAudit(app.db, request.auth, request.params.organizationId, request.query)),
  )
}
