import type { Insertable, Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { AppTokensTable, Role } from '../db/types.js'
import type { PageRequest } from '../core/pagination.js'
import { countRows, onPage } from '../db/query.js'

export type AppTokenRow = Selectable<AppTokensTable>

const COLUMNS = [
  'app_tokens.id',
  'app_tokens.app_id',
  'app_tokens.name',
  'app_tokens.created_at',
  'app_tokens.expires_at',
  'app_tokens.last_used_at',
  'app_tokens.created_by',
  'users.email as creator_email',
] as const

function tokensOfApp(db: Db, organizationId: string, appId: string) {
  return db
    .selectFrom('app_tokens')
    .where('app_tokens.organization_id', '=', organizationId)
    .where('app_tokens.app_id', '=', appId)
}

export async function insertAppToken(trx: Trx, row: Insertable<AppTokensTable>): Promise<void> {
  await trx.insertInto('app_tokens').values(row).execute()
}

export function listTokensOfApp(db: Db, organizationId: string, appId: string, page: PageRequest) {
  const tokens = tokensOfApp(db, organizationId, appId).innerJoin(
    'users',
    'users.id',
    'app_tokens.created_by',
  )
  const newestFirst = tokens
    .select(COLUMNS)
    .orderBy('app_tokens.created_at', 'desc')
    .orderBy('app_tokens.id', 'desc')
  return onPage(newestFirst, page).execute()
}

export function countTokensOfApp(db: Db, organizationId: string, appId: string): Promise<number> {
  return countRows(tokensOfApp(db, organizationId, appId))
}

/** Deletes the token; its name (for the audit history), or undefined when the app has no such token. */
export async function deleteAppToken(
  trx: Trx,
  organizationId: string,
  appId: string,
  tokenId: string,
): Promise<string | undefined> {
  const deleted = await trx
    .deleteFrom('app_tokens')
    .where('organization_id', '=', organizationId)
    .where('app_id', '=', appId)
    .where('id', '=', tokenId)
    .returning('name')
    .executeTakeFirst()
  return deleted?.name
}

/**
 * The token with what authentication needs, by primary key; only while its organization is live (a token of a
 * deleted organization authenticates nothing, from the DELETE on, before the purge reaches it). `creator_role` is
 * its creator's role there now, null once they left.
 */
export function findAppTokenForAuth(db: Db, organizationId: string, tokenId: string) {
  return db
    .selectFrom('app_tokens')
    .innerJoin('organizations', 'organizations.id', 'app_tokens.organization_id')
    .innerJoin('users', 'users.id', 'app_tokens.created_by')
    .leftJoin('collaborators', (join) =>
      join
        .onRef('collaborators.organization_id', '=', 'app_tokens.organization_id')
        .onRef('collaborators.user_id', '=', 'app_tokens.created_by'),
    )
    .select([
      'collaborators.role as creator_role',
      'app_tokens.id',
      'app_tokens.organization_id',
      'app_tokens.app_id',
      'app_tokens.secret_hash',
      'app_tokens.expires_at',
      'app_tokens.created_by',
      'users.email as creator_email',
    ])
    .where('app_tokens.organization_id', '=', organizationId)
    .where('app_tokens.id', '=', tokenId)
    .where('organizations.status', '=', 'active')
    .executeTakeFirst()
}

/** The token's creator's role now (null once they left), or undefined when the token is gone. */
export async function appTokenCreatorRole(
  trx: Trx,
  organizationId: string,
  tokenId: string,
): Promise<Role | null | undefined> {
  const row = await trx
    .selectFrom('app_tokens')
    .leftJoin('collaborators', (join) =>
      join
        .onRef('collaborators.organization_id', '=', 'app_tokens.organization_id')
        .onRef('collaborators.user_id', '=', 'app_tokens.created_by'),
    )
    .select('collaborators.role')
    .where('app_tokens.organization_id', '=', organizationId)
    .where('app_tokens.id', '=', tokenId)
    .executeTakeFirst()
  return row === undefined ? undefined : row.role
}

/**
 * Notes the token's use. At most once a minute per token: a CI polling the builds list writes nothing more, and
 * the list's "last used" is not meant to the second.
 */
export async function touchAppToken(
  db: Db,
  organizationId: string,
  tokenId: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('app_tokens')
    .set({ last_used_at: new Date(now).toISOString() })
    .where('organization_id', '=', organizationId)
    .where('id', '=', tokenId)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(now - 60_000).toISOString())]),
    )
    .execute()
}
