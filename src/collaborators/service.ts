import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import type { AuditDetails } from '../contract/audit.js'
import type { Role } from '../db/types.js'
import { AppError } from '../core/errors.js'
import { pageOf, parseSort, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { adjustCounter } from '../organizations/repository.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import { deleteScopedTokens } from '../tokens/repository.js'
import type { AuthContext } from '../core/auth-context.js'
import { findOrCreateUser } from '../users/service.js'
import {
  countAppTokensOf,
  countCollaborators,
  deleteCollaborator,
  findCollaborator,
  isCollaborator,
  listCollaborators,
  setCollaboratorRole,
  type CollaboratorRow,
} from './repository.js'
import { insertCollaborator } from '../organizations/membership.js'

type AssignableRole = Exclude<Role, 'owner'>

function collaboratorView(row: CollaboratorRow) {
  return {
    id: row.id,
    role: row.role,
    user: { id: row.user_id, email: row.email, name: row.name },
    createdAt: row.created_at,
  }
}

export async function listOrganizationCollaborators(
  db: Db,
  auth: AuthContext,
  ref: string,
  query: PageRequest & { sort?: string; role?: Role; email?: string },
) {
  const { org } = await accessOrganization(db, auth, ref, Permission.CollaboratorList)
  const sort = parseSort(
    query.sort,
    { createdAt: 'created_at', role: 'role' },
    { column: 'created_at', direction: 'asc' },
  )
  const filter = { organizationId: org.id, role: query.role, email: query.email }
  const [rows, total] = await Promise.all([
    listCollaborators(db, filter, sort, query),
    query.role === undefined && query.email === undefined
      ? org.collaborators_count
      : countCollaborators(db, filter),
  ])
  const tokens = await countAppTokensOf(
    db,
    org.id,
    rows.map((row) => row.user_id),
    new Date().toISOString(),
  )
  return pageOf(
    rows.map((row) => ({ ...collaboratorView(row), appTokens: tokens.get(row.user_id) ?? 0 })),
    total,
    query,
  )
}

/** A collaborator as the audit history names them: by email, and by name when they gave one. */
function person(user: { email: string; name: string }): AuditDetails {
  return user.name ? { email: user.email, name: user.name } : { email: user.email }
}

export async function addCollaborator(
  db: Db,
  auth: AuthContext,
  ref: string,
  input: { email: string; role: AssignableRole; name?: string },
) {
  const id = newId()
  const org = await changeOrganization(
    db,
    auth,
    ref,
    Permission.CollaboratorCreate,
    async ({ trx, org, audit, emit }) => {
      // In the same transaction: a refused addition leaves no new user behind.
      const { user } = await findOrCreateUser(trx, input.email, input.name)
      if (await isCollaborator(trx, org.id, user.id)) throw AppError.conflict('already a collaborator')
      const now = nowIso()
      await insertCollaborator(trx, {
        id,
        organization_id: org.id,
        user_id: user.id,
        role: input.role,
        created_at: now,
        updated_at: now,
      })
      await adjustCounter(trx, org.id, 'collaborators_count', 1)
      await audit('collaborator.create', 'collaborator', id, { ...person(user), role: input.role })
      await emit('collaborator.added', {
        collaborator: collaboratorView({ ...user, id, user_id: user.id, role: input.role, created_at: now }),
      })
      return org
    },
  )
  return collaboratorView(await existingCollaborator(db, org.id, id))
}

async function existingCollaborator(
  db: Db,
  organizationId: string,
  collaboratorId: string,
): Promise<CollaboratorRow> {
  const row = await findCollaborator(db, organizationId, collaboratorId.toLowerCase())
  if (!row) throw AppError.notFound()
  return row
}

export async function changeCollaboratorRole(
  db: Db,
  auth: AuthContext,
  ref: string,
  collaboratorId: string,
  role: AssignableRole,
) {
  const target = await changeOrganization(
    db,
    auth,
    ref,
    Permission.CollaboratorUpdate,
    async ({ trx, org, audit, emit }) => {
      const row = await existingCollaborator(trx, org.id, collaboratorId)
      if (row.role === 'owner') throw AppError.conflict("the owner's role changes only through change-owner")
      await setCollaboratorRole(trx, org.id, row.id, role, nowIso())
      await audit('collaborator.update', 'collaborator', row.id, {
        ...person(row),
        changes: { role: { from: row.role, to: role } },
      })
      const changed = { ...row, role }
      await emit('collaborator.role_changed', {
        collaborator: collaboratorView(changed),
        previousRole: row.role,
      })
      return changed
    },
  )
  return collaboratorView(target)
}

export async function removeCollaborator(db: Db, auth: AuthContext, ref: string, collaboratorId: string) {
  await changeOrganization(
    db,
    auth,
    ref,
    Permission.CollaboratorRemove,
    async ({ trx, org, audit, emit }) => {
      const row = await existingCollaborator(trx, org.id, collaboratorId)
      if (row.role === 'owner') throw AppError.conflict('the owner cannot be removed')
      await deleteCollaborator(trx, org.id, row.id)
      await deleteScopedTokens(trx, row.user_id, org.id)
      await adjustCounter(trx, org.id, 'collaborators_count', -1)
      await audit('collaborator.remove', 'collaborator', row.id, { ...person(row), role: row.role })
      await emit('collaborator.removed', { collaborator: collaboratorView(row) })
    },
  )
  return { delete: 'OK' }
}
