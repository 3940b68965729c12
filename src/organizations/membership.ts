// Membership as the organization itself needs it: its owner's row, the role that every write checks, and the
// hand-over of ownership. Listing and managing collaborators is the collaborators module's.

import type { Db, Trx } from '../db/connect.js'
import type { CollaboratorsTable, Role } from '../db/types.js'

/** The user's role in the organization, or undefined when not a member. */
export async function findRole(db: Db, organizationId: string, userId: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom('collaborators')
    .select('role')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row?.role
}

export async function insertCollaborator(trx: Trx, row: CollaboratorsTable): Promise<void> {
  await trx.insertInto('collaborators').values(row).execute()
}

/** The collaborator of `organizationId` who is the user with this id or email, with its role. */
export function findCollaboratorOfUser(
  db: Db,
  organizationId: string,
  user: { id: string } | { email: string },
) {
  return db
    .selectFrom('collaborators')
    .innerJoin('users', 'users.id', 'collaborators.user_id')
    .select(['collaborators.id', 'collaborators.role', 'users.id as userId', 'users.email', 'users.name'])
    .where('collaborators.organization_id', '=', organizationId)
    .where((eb) => ('id' in user ? eb('users.id', '=', user.id) : eb('users.email', '=', user.email)))
    .executeTakeFirst()
}

/**
 * Makes `collaboratorId` the owner and the current owner an admin. Demotes first: the one-owner index must never
 * see two owners, even inside the transaction.
 */
export async function transferOwnership(
  trx: Trx,
  organizationId: string,
  collaboratorId: string,
  now: string,
): Promise<void> {
  await trx
    .updateTable('collaborators')
    .set({ role: 'admin', updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'owner')
    .execute()
  await trx
    .updateTable('collaborators')
    .set({ role: 'owner', updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('id', '=', collaboratorId)
    .execute()
}
