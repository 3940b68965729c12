import type { Organization } from '../types.js'
import type { ViewContext } from './context.js'

/** Permission strings (CONTRACT §4) that decide which controls are offered. */
export const P = {
  update: 'base.organization.management.update',
  remove: 'base.organization.management.remove',
  exportData: 'base.organization.management.export',
  ownerChange: 'base.organization.management.ownerChange',
  billingCancel: 'base.organization.billing.cancel',
  auditList: 'base.organization.audit.list',
  webhookList: 'base.organization.webhook.list',
  billingList: 'base.organization.billing.list',
  billingCreate: 'base.organization.billing.create',
  collaboratorList: 'base.people.organizationCollaborator.list',
  collaboratorCreate: 'base.people.organizationCollaborator.create',
  collaboratorUpdate: 'base.people.organizationCollaborator.update',
  collaboratorRemove: 'base.people.organizationCollaborator.remove',
  appList: 'mad.application.management.list',
  appCreate: 'mad.application.management.create',
  appUpdate: 'mad.application.management.update',
  appRemove: 'mad.application.management.remove',
  buildList: 'mad.application.build.list',
  buildUpload: 'mad.application.build.upload',
  buildRemove: 'mad.application.build.remove',
  appTokenList: 'mad.application.token.list',
  appTokenCreate: 'mad.application.token.create',
  appTokenRemove: 'mad.application.token.remove',
  deviceList: 'mdm.global.device.list',
  deviceEnroll: 'mdm.global.device.enroll',
  deviceUnenroll: 'mdm.global.device.unenroll',
} as const

export interface WorkspaceContext extends ViewContext {
  org: Organization
  can: (permission: string) => boolean
  /** Where tab content goes, below the workspace header and tabs. */
  panel: HTMLElement
}
