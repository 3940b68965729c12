import type { Db, Trx } from '../db/connect.js'
import { dialectOf } from '../db/dialect.js'
import { isId } from '../db/ids.js'
import { findRole } from './membership.js'
import { AppError } from '../core/errors.js'
import { authorize, type Permission } from '../core/permissions.js'
import { confirmToken } from '../tokens/service.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  lockMembership,
  readMembership,
  readOrganization,
  type Membership,
  type OrganizationLock,
  type OrganizationRef,
} from './repository.js'

function refOf(ref: string): OrganizationRef {
  return isId(ref) ? { id: ref.toLowerCase() } : { slug: ref.toLowerCase() }
}

/** Strangers, deleted organizations and tokens scoped to another organization all get the same 3001. */
function visibleTo<M extends { org: { id: string } }>(auth: AuthContext, membership: M | undefined): M {
  if (!membership) throw AppError.notFound()
  if (auth.organizationId !== null && auth.organizationId !== membership.org.id) throw AppError.notFound()
  return membership
}

/**
 * The caller's membership of the live organization named by `ref` (an id or a slug), for reading: one query that
 * also reads the caller's token again, which is what lets `requireAuth` take tokens from its cache on routes
 * starting here (`config.cachedToken`, tokens/cache.ts). A token revoked or expired since it was cached gets its
 * 4004/4005 here.
 */
export async function resolveMembership(db: Db, auth: AuthContext, ref: string): Promise<Membership> {
  const read = await readMembership(db, auth.tokenId, refOf(ref))
  confirmToken(read.token)
  return visibleTo(auth, read.membership)
}

/** `accessOrganization` for the organization's own API view: owner and subscriptions come in the same query. */
export async function accessOrganizationView(db: Db, auth: AuthContext, ref: string, permission: Permission) {
  const read = await readOrganization(db, auth.tokenId, refOf(ref))
  confirmToken(read.token)
  const membership = visibleTo(auth, read.membership)
  authorize(membership.role, permission)
  return { org: membership.org, role: membership.role, owner: read.owner, subscriptions: read.subscriptions }
}

/** `resolveMembership` followed by the permission check, in the contract's order (3001, then 4003). */
export async function accessOrganization(db: Db, auth: AuthContext, ref: string, permission: Permission) {
  const membership = await resolveMembership(db, auth, ref)
  authorize(membership.role, permission)
  return membership
}

/**
 * The caller's membership under the organization's `lock`, with the role the caller holds at commit: the one
 * side of the lock protocol every write, owner change and DELETE goes through (see write.ts).
 *
 * On PostgreSQL (READ COMMITTED) a statement that waited for a row lock re-reads the locked row, but rows it
 * joined come from the snapshot taken before the wait: a member removed or demoted by the transaction it waited
 * for would still be seen with the old role. So the role is read again, in a statement whose snapshot is taken
 * under the lock; every change of a collaborator row holds that same lock, so the role cannot change again
 * before this transaction ends. On SQLite the transaction has held the database's write lock since BEGIN
 * IMMEDIATE: the first read is already exact.
 */
export async function lockOrganization(
  trx: Trx,
  auth: AuthContext,
  ref: string,
  lock: OrganizationLock,
): Promise<Membership> {
  const membership = visibleTo(auth, await lockMembership(trx, auth.userId, refOf(ref), lock))
  if (dialectOf(trx).singleWriter) return membership
  const role = await findRole(trx, membership.org.id, auth.userId)
  if (role === undefined) throw AppError.notFound()
  return { org: membership.org, role }
}
