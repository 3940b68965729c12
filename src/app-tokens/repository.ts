import type { Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import type { AppTokensTable } from '../db/types.js'
import { countRows } from '../db/query.js'

export type AppTokenRow = Selectable<AppTokensTable>

const COLUMNS = ['id', 'app_id', 'name', 'created_at', 'expires_at'] as const

function tokensOfApp(db: Db, organizationId: string, appId: string) {
  return db.selectFrom('app_tokens').where('organization_id', '=', organizationId).where('app_id', '=', appId)
}

export async function insertAppToken(trx: Trx, row: AppTokenRow): Promise<void> {
  await trx.insertInto('app_tokens').values(row).execute()
}

export function listTokensOfApp(
  db: Db,
  organizationId: string,
  appId: string,
  offset: number,
  limit: number,
) {
  return tokensOfApp(db, organizationId, appId)
    .select(COLUMNS)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(limit)
    .execute()
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
 * deleted organization authenticates nothing, from the DELETE on, before the purge reaches it).
 */
export function findAppTokenForAuth(db: Db, organizationId: string, tokenId: string) {
  return db
    .selectFrom('app_tokens')
    .innerJoin('organizations', 'organizations.id', 'app_tokens.organization_id')
    .innerJoin('users', 'users.id', 'app_tokens.created_by')
    .select([
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

export async function appTokenExists(trx: Trx, organizationId: string, tokenId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('app_tokens')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('id', '=', tokenId)
    .executeTakeFirst()
  return row !== undefined
}
