import type { Selectable } from 'kysely'
import type { Db, Trx } from '../db/connect.js'
import { lockRows } from '../db/dialect.js'
import type { TokensTable } from '../db/types.js'
import type { PageRequest } from '../core/pagination.js'
import { countRows, onPage } from '../db/query.js'
import { prepare } from '../db/prepared.js'

export type TokenRow = Selectable<TokensTable>

const tokenWithUser = prepare<{ tokenId: string }, TokenWithUser>(['tokenId'], (db, { tokenId }) =>
  db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select([
      'tokens.id',
      'tokens.user_id',
      'tokens.organization_id',
      'tokens.secret_hash',
      'tokens.expires_at',
      'users.email',
      'users.name',
    ])
    .where('tokens.id', '=', tokenId),
)

export interface TokenWithUser {
  id: string
  user_id: string
  organization_id: string | null
  secret_hash: string
  expires_at: string | null
  email: string
  name: string
}

/** The token with its user, for authentication: one indexed read by primary key, compiled once. */
export async function findTokenWithUser(db: Db, tokenId: string): Promise<TokenWithUser | undefined> {
  const [row] = await tokenWithUser(db, { tokenId })
  return row
}

/**
 * How many unexpired tokens the user holds, with the user's row locked (PostgreSQL) so that two concurrent
 * creations cannot both pass a cap; on SQLite the write transaction already serialises them.
 */
export async function countLiveTokensLocked(trx: Trx, userId: string, now: string): Promise<number> {
  await trx
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .$call(lockRows(trx, { mode: 'noKeyUpdate' }))
    .execute()
  return countRows(
    trx
      .selectFrom('tokens')
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])),
  )
}

/** Tokens the user holds for one organization die with the membership they came from. */
export async function deleteScopedTokens(trx: Trx, userId: string, organizationId: string): Promise<void> {
  await trx
    .deleteFrom('tokens')
    .where('user_id', '=', userId)
    .where('organization_id', '=', organizationId)
    .execute()
}

export async function insertToken(db: Db, token: TokenRow): Promise<void> {
  await db.insertInto('tokens').values(token).execute()
}

export function listTokensOfUser(db: Db, userId: string, page: PageRequest) {
  const newestFirst = db
    .selectFrom('tokens')
    .select(['id', 'name', 'organization_id', 'created_at', 'expires_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
  return onPage(newestFirst, page).execute()
}

export async function countTokensOfUser(db: Db, userId: string): Promise<number> {
  return countRows(db.selectFrom('tokens').where('user_id', '=', userId))
}

export async function deleteTokenOfUser(db: Db, userId: string, tokenId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('tokens')
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}
