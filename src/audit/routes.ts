import { Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { resourceRoutes } from '../organizations/resource-routes.js'
import { AuditListQuery, AuditPage } from './schemas.js'
import { listOrganizationAudit } from './service.js'

export const auditRoutes = resourceRoutes('Audit', (route) => {
  route({
    method: 'GET',
    url: '/organizations/:organizationId/audit',
    operationId: 'listAuditEvents',
    summary: "The organization's history, newest first",
    querystring: AuditListQuery,
    answer: Ok(AuditPage, "One page of the organization's audit events"),
    permission: Permission.AuditList,
    handler: ({ db, auth, ref, query }) => listOrganizationAudit(db, auth, ref, query),
  })
})
