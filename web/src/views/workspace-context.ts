import { Permission } from '../../../src/contract/permissions.js'
import type { Organization } from '../types.js'
import type { ViewContext } from './context.js'

/** The permissions (from the contract) that decide which controls are offered, by the names the views use. */
export const P = {
  update: Permission.OrganizationUpdate,
  remove: Permission.OrganizationRemove,
  exportData: Permission.OrganizationExport,
  ownerChange: Permission.OrganizationOwnerChange,
  billingCancel: Permission.BillingCancel,
  auditList: Permission.AuditList,
  webhookList: Permission.WebhookList,
  billingList: Permission.BillingList,
  billingCreate: Permission.BillingCreate,
  collaboratorList: Permission.CollaboratorList,
  collaboratorCreate: Permission.CollaboratorCreate,
  collaboratorUpdate: Permission.CollaboratorUpdate,
  collaboratorRemove: Permission.CollaboratorRemove,
  appList: Permission.AppList,
  appCreate: Permission.AppCreate,
  appUpdate: Permission.AppUpdate,
  appRemove: Permission.AppRemove,
  buildList: Permission.BuildList,
  buildUpload: Permission.BuildUpload,
  buildRemove: Permission.BuildRemove,
  appTokenList: Permission.AppTokenList,
  appTokenCreate: Permission.AppTokenCreate,
  appTokenRemove: Permission.AppTokenRemove,
  deviceList: Permission.DeviceList,
  deviceEnroll: Permission.DeviceEnroll,
  deviceUnenroll: Permission.DeviceUnenroll,
} as const

export interface WorkspaceContext extends ViewContext {
  org: Organization
  can: (permission: string) => boolean
  /** Where tab content goes, below the workspace header and tabs. */
  panel: HTMLElement
}
