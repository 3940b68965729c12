import type { Role } from '../db/types.js'
import { AppError, ErrorCode } from './errors.js'

// The policy: which role holds which permission, as `<module>.<domain>.<resource>.<action>`.
// Handlers call `authorize(role, permission)` explicitly; nothing is inferred from URLs.

export const Permission = {
  OrganizationGet: 'base.organization.management.get',
  OrganizationList: 'base.organization.management.list',
  OrganizationCreate: 'base.organization.management.create',
  OrganizationUpdate: 'base.organization.management.update',
  OrganizationRemove: 'base.organization.management.remove',
  OrganizationOwnerChange: 'base.organization.management.ownerChange',
  OrganizationExport: 'base.organization.management.export',
  BillingList: 'base.organization.billing.list',
  BillingCreate: 'base.organization.billing.create',
  BillingCancel: 'base.organization.billing.cancel',
  CollaboratorList: 'base.people.organizationCollaborator.list',
  CollaboratorCreate: 'base.people.organizationCollaborator.create',
  CollaboratorUpdate: 'base.people.organizationCollaborator.update',
  CollaboratorRemove: 'base.people.organizationCollaborator.remove',
  AppList: 'mad.application.management.list',
  AppGet: 'mad.application.management.get',
  AppCreate: 'mad.application.management.create',
  AppUpdate: 'mad.application.management.update',
  AppRemove: 'mad.application.management.remove',
  BuildList: 'mad.application.build.list',
  BuildGet: 'mad.application.build.get',
  BuildUpload: 'mad.application.build.upload',
  BuildRemove: 'mad.application.build.remove',
  AppTokenList: 'mad.application.token.list',
  AppTokenCreate: 'mad.application.token.create',
  AppTokenRemove: 'mad.application.token.remove',
  DeviceList: 'mdm.global.device.list',
  DeviceEnroll: 'mdm.global.device.enroll',
  DeviceUnenroll: 'mdm.global.device.unenroll',
  AuditList: 'base.organization.audit.list',
  WebhookList: 'base.organization.webhook.list',
  WebhookCreate: 'base.organization.webhook.create',
  WebhookUpdate: 'base.organization.webhook.update',
  WebhookRemove: 'base.organization.webhook.remove',
} as const

export type Permission = (typeof Permission)[keyof typeof Permission]

const P = Permission

const viewer: Permission[] = [
  P.OrganizationGet,
  P.OrganizationList,
  P.OrganizationCreate,
  P.CollaboratorList,
  P.AppList,
  P.AppGet,
  P.BuildList,
  P.BuildGet,
  P.DeviceList,
]
const editor: Permission[] = [
  ...viewer,
  P.AppCreate,
  P.AppUpdate,
  P.AppRemove,
  P.BuildUpload,
  P.BuildRemove,
  P.AppTokenList,
  P.AppTokenCreate,
  P.AppTokenRemove,
  P.DeviceEnroll,
  P.DeviceUnenroll,
]
const admin: Permission[] = [
  ...editor,
  P.OrganizationUpdate,
  P.OrganizationExport,
  P.CollaboratorCreate,
  P.CollaboratorUpdate,
  P.CollaboratorRemove,
  P.AuditList,
  // Endpoints receive the organization's events, collaborators' emails included; their URLs may hold tokens.
  P.WebhookList,
  P.WebhookCreate,
  P.WebhookUpdate,
  P.WebhookRemove,
]
const owner: Permission[] = [
  ...admin,
  P.OrganizationRemove,
  P.OrganizationOwnerChange,
  P.BillingList,
  P.BillingCreate,
  P.BillingCancel,
]

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(owner),
  admin: new Set(admin),
  editor: new Set(editor),
  viewer: new Set(viewer),
}

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission)
}

/** Throws 4003 Forbidden unless `role` holds `permission`. */
export function authorize(role: Role, permission: Permission): void {
  if (!can(role, permission)) throw new AppError(ErrorCode.Forbidden)
}

/** The permissions a role holds, sorted, for `GET /organizations/:id/actions`. */
export function permissionsOf(role: Role): Permission[] {
  return [...GRANTS[role]].sort()
}
