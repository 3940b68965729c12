// The organization's history (GET /organizations/:id/audit): which actions it records and the details each carries,
// so that a person can read an event without looking up ids that may no longer exist.

/** Every action the server records, by the entity it is about. */
export const AUDIT_ACTIONS = [
  'organization.create',
  'organization.update',
  'organization.ownerChange',
  'organization.export',
  'organization.import',
  'organization.retention',
  'collaborator.create',
  'collaborator.update',
  'collaborator.remove',
  'app.create',
  'app.update',
  'app.remove',
  'build.upload',
  'build.remove',
  'app_token.create',
  'app_token.remove',
  'device.enroll',
  'device.unenroll',
  'subscription.create',
  'subscription.cancel',
  'webhook.create',
  'webhook.update',
  'webhook.remove',
  'webhook.delivery.retry',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/** `device.enroll` → `device.`: the prefixes the `action` filter takes to list every action on one kind of entity. */
export const AUDIT_ACTION_PREFIXES: readonly string[] = [
  ...new Set(AUDIT_ACTIONS.map((action) => `${action.slice(0, action.indexOf('.'))}.`)),
]

/** A value before or after a change. */
export type AuditValue = string | number | boolean | null

export interface AuditChange {
  from: AuditValue
  to: AuditValue
}

/**
 * What the event's entity was at the time, and what changed. Each action fills the fields that name its entity:
 * a workspace or app by `name`, a collaborator by `email` (and `role`), a device by `serialNumber` and `platform`,
 * a subscription by `plan`, a build by `fileName` (and `app`), a webhook by `url`.
 */
export interface AuditDetails {
  name?: string
  slug?: string
  email?: string
  role?: string
  serialNumber?: string
  platform?: string
  plan?: string
  /** A subscription's status when it started. */
  status?: string
  url?: string
  fileName?: string
  version?: string
  /** The name of the app a build or app token belongs to. */
  app?: string
  /** An import: when the archive was written, and how many records it held. */
  archivedAt?: string
  rows?: number
  /** Retention (`organization.retention`): what one run removed, and the policy's days it applied. */
  builds?: number
  events?: number
  buildsDays?: number
  auditDays?: number
  /** For a change: each field that changed, before and after (`role: {from: 'admin', to: 'viewer'}`). */
  changes?: Record<string, AuditChange>
}
