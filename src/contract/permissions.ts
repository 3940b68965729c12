// Roles and permission strings (docs/api.md §4), as `<module>.<domain>.<resource>.<action>`.
// `GET /organizations/:id/actions` answers the ones the caller holds; the dashboard offers a control only when its
// permission is among them. Which role holds which is the server's policy (src/core/permissions.ts).

/** An organization's roles, from most to least powerful. */
export type Role = 'owner' | 'admin' | 'editor' | 'viewer'

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
