import type { Db, Trx } from '../db/connect.js'
import type { Role } from '../db/types.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { containing, countRows, exists, onPage } from '../db/query.js'

export type CollaboratorSortColumn = 'created_at' | 'role'

export interface CollaboratorFilter {
  organizationId: string
  role?: Role
  email?: string
}

function collaboratorsQuery(db: Db, filter: CollaboratorFilter) {
  return db
    .selectFrom('collaborators')
    .innerJoin('users', 'users.id', 'collaborators.user_id')
    .where('collaborators.organization_id', '=', filter.organizationId)
    .$if(filter.role !== undefined, (q) => q.where('collaborators.role', '=', filter.role ?? 'viewer'))
    .$if(filter.email !== undefined, (q) => q.where('users.email', 'like', containing(filter.email ?? '')))
}

const COLUMNS = [
  'collaborators.id',
  'collaborators.role',
  'collaborators.created_at',
  'users.id as user_id',
  'users.email',
  'users.name',
] as const

export function listCollaborators(
  db: Db,
  filter: CollaboratorFilter,
  sort: Sort<CollaboratorSortColumn>,
  page: PageRequest,
) {
  const ordered = collaboratorsQuery(db, filter)
    .select(COLUMNS)
    .orderBy(`collaborators.${sort.column}`, sort.direction)
  return onPage(ordered.orderBy('collaborators.id', sort.direction), page).execute()
}

export type CollaboratorRow = Awaited<ReturnType<typeof listCollaborators>>[number]

export async function countCollaborators(db: Db, filter: CollaboratorFilter): Promise<number> {
  return countRows(collaboratorsQuery(db, filter))
}

export function findCollaborator(
  db: Db,
  organizationId: string,
  collaboratorId: string,
): Promise<CollaboratorRow | undefined> {
  return collaboratorsQuery(db, { organizationId })
    .select(COLUMNS)
    .where('collaborators.id', '=', collaboratorId)
    .executeTakeFirst()
}

export function isCollaborator(db: Db, organizationId: string, userId: string): Promise<boolean> {
  return exists(
    db
      .selectFrom('collaborators')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId),
  )
}

export async function setCollaboratorRole(
  trx: Trx,
  organizationId: string,
  id: string,
  role: Role,
  now: string,
): Promise<void> {
  await trx
    .updateTable('collaborators')
    .set({ role, updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}

export async function deleteCollaborator(trx: Trx, organizationId: string, id: string): Promise<void> {
  await trx
    .deleteFrom('collaborators')
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}

/** The email addresses of the organization's owner and admins, owner first. */
export async function managerEmails(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('collaborators')
    .innerJoin('users', 'users.id', 'collaborators.user_id')
    .select(['users.email', 'collaborators.role'])
    .where('collaborators.organization_id', '=', organizationId)
    .where('collaborators.role', 'in', ['owner', 'admin'])
    .orderBy('collaborators.created_at')
    .execute()
  return [...rows.filter((r) => r.role === 'owner'), ...rows.filter((r) => r.role !== 'owner')].map(
    (r) => r.email,
  )
}

/**
 * How many unexpired app tokens each of `userIds` created in the organization (absent: none): the tokens that act
 * for them (app-tokens/service.ts) and stop working if they are removed or made a viewer.
 */
export async function countAppTokensOf(
  db: Db,
  organizationId: string,
  userIds: string[],
  now: string,
): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('app_tokens')
    .select(['created_by', (eb) => eb.fn.countAll<number>().as('n')])
    .where('organization_id', '=', organizationId)
    .where('created_by', 'in', userIds)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .groupBy('created_by')
    .execute()
  return new Map(rows.map((row) => [row.created_by, Number(row.n)]))
}
