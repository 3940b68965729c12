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
} as const

export interface WorkspaceContext extends ViewContext {
  org: Organization
  can: (permission: string) => boolean
  /** Where tab content goes, below the workspace header and tabs. */
  panel: HTMLElement
}
