import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import type { Role } from '../db/types.js'
import { recordAudit } from '../audit/repository.js'
import { AppError } from '../http/errors.js'
import { offsetOf, pageOf, parseSort, type PageRequest } from '../http/pagination.js'
import { Permission } from '../http/permissions.js'
import { adjustCounter } from '../organizations/repository.js'
import { accessOrganization } from '../organizations/service.js'
import { writeInOrganization } from '../organizations/write.js'
import type { AuthContext } from '../tokens/service.js'
import { findOrCreateUser } from '../users/service.js'
import {
  countCollaborators,
  deleteCollaborator,
  findCollaborator,
  insertCollaborator,
  isCollaborator,
  listCollaborators,
  setCollaboratorRole,
  type CollaboratorRow,
} from './repository.js'

type AssignableRole = Exclude<Role, 'owner'>

export function collaboratorView(row: CollaboratorRow) {
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
    listCollaborators(db, filter, sort, offsetOf(query), query.limit),
    query.role === undefined && query.email === undefined
      ? org.collaborators_count
      : countCollaborators(db, filter),
  ])
  return pageOf(rows.map(collaboratorView), total, query)
}

export async function addCollaborator(
  db: Db,
  auth: AuthContext,
  ref: string,
  input: { email: string; role: AssignableRole; name?: string },
) {
  const { org } = await accessOrganization(db, auth, ref, Permission.CollaboratorCreate)
  const { user } = await findOrCreateUser(db, input.email, input.name)
  const id = newId()
  await writeInOrganization(
    db,
    org.id,
    { userId: auth.userId, permission: Permission.CollaboratorCreate },
    async (trx) => {
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
      await recordAudit(trx, {
        organizationId: org.id,
        action: 'collaborator.create',
        entity: 'collaborator',
        entityId: id,
        actorId: auth.userId,
      })
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
  const { org } = await accessOrganization(db, auth, ref, Permission.CollaboratorUpdate)
  const target = await writeInOrganization(
    db,
    org.id,
    { userId: auth.userId, permission: Permission.CollaboratorUpdate },
    async (trx) => {
      const row = await existingCollaborator(trx, org.id, collaboratorId)
      if (row.role === 'owner') throw AppError.conflict("the owner's role changes only through change-owner")
      await setCollaboratorRole(trx, row.id, role, nowIso())
      await recordAudit(trx, {
        organizationId: org.id,
        action: 'collaborator.update',
        entity: 'collaborator',
        entityId: row.id,
        actorId: auth.userId,
      })
      return { ...row, role }
    },
  )
  return collaboratorView(target)
}

export async function removeCollaborator(db: Db, auth: AuthContext, ref: string, collaboratorId: string) {
  const { org } = await accessOrganization(db, auth, ref, Permission.CollaboratorRemove)
  await writeInOrganization(
    db,
    org.id,
    { userId: auth.userId, permission: Permission.CollaboratorRemove },
    async (trx) => {
      const row = await existingCollaborator(trx, org.id, collaboratorId)
      if (row.role === 'owner') throw AppError.conflict('the owner cannot be removed')
      await deleteCollaborator(trx, row.id)
      await adjustCounter(trx, org.id, 'collaborators_count', -1)
      await recordAudit(trx, {
        organizationId: org.id,
        action: 'collaborator.remove',
        entity: 'collaborator',
        entityId: row.id,
        actorId: auth.userId,
      })
    },
  )
  return { delete: 'OK' }
}
