import { Permission, type Role } from '../contract/permissions.js'
import { AppError, ErrorCode } from './errors.js'

export { Permission }

// The policy: which role holds which permission (the strings are the contract's: src/contract/permissions.ts).
// Handlers call `authorize(role, permission)` explicitly; nothing is inferred from URLs.

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
