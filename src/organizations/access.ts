import type { Db } from '../db/connect.js'
import { isId } from '../db/ids.js'
import { AppError } from '../http/errors.js'
import { authorize, type Permission } from '../http/permissions.js'
import type { AuthContext } from '../tokens/service.js'
import { findMembership, type Membership, type OrganizationLock } from './repository.js'

/**
 * The caller's membership of the live organization named by `ref` (an id or a slug). Strangers, deleted
 * organizations and tokens scoped to another organization all get the same 3001, so nothing leaks. With
 * `lock`, the organization row is locked as well (see OrganizationLock).
 */
export async function resolveMembership(
  db: Db,
  auth: AuthContext,
  ref: string,
  { lock }: { lock?: OrganizationLock } = {},
): Promise<Membership> {
  const membership = await findMembership(
    db,
    auth.userId,
    isId(ref) ? { id: ref.toLowerCase() } : { slug: ref.toLowerCase() },
    { lock },
  )
  if (!membership) throw AppError.notFound()
  if (auth.organizationId !== null && auth.organizationId !== membership.org.id) throw AppError.notFound()
  return membership
}

/** `resolveMembership` followed by the permission check, in the contract's order (3001, then 4003). */
export async function accessOrganization(db: Db, auth: AuthContext, ref: string, permission: Permission) {
  const membership = await resolveMembership(db, auth, ref)
  authorize(membership.role, permission)
  return membership
}
