import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok, Ok, responses } from '../http/envelope.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { AuditListQuery, AuditPage } from './schemas.js'
import { listOrganizationAudit } from './service.js'

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/organizations/:organizationId/audit',
    {
      schema: {
        tags: ['Audit'],
        summary: "The organization's history, newest first",
        params: OrganizationParams,
        querystring: AuditListQuery,
        response: responses({ 200: Ok(AuditPage) }),
      },
    },
    async (request) =>
      ok(await listOrganizationAudit(app.db, request.auth, request.params.organizationId, request.query)),
  )
}
