import { inTransaction, type Db } from '../db/connect.js'
import { newId } from '../db/ids.js'
import { AppError, ErrorCode } from '../http/errors.js'
import { offsetOf, pageOf, type PageRequest } from '../http/pagination.js'
import {
  countLiveTokensLocked,
  countTokensOfUser,
  deleteTokenOfUser,
  findTokenWithUser,
  insertToken,
  listTokensOfUser,
} from './repository.js'
import { issueSecret, parseToken, secretMatches } from './secret.js'

/** Who is calling: resolved once per request from the bearer token. */
export interface AuthContext {
  userId: string
  email: string
  name: string
  tokenId: string
  /** Set when the token only works inside one organization. */
  organizationId: string | null
}

const DAY_MS = 86_400_000

/** Resolves `Authorization` to a caller, or throws 4002/4004/4005. */
export async function authenticate(
  db: Db,
  header: string | undefined,
  now = Date.now(),
): Promise<AuthContext> {
  if (header === undefined || header.trim() === '') throw new AppError(ErrorCode.NoAuthToken)
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  const parsed = match?.[1] ? parseToken(match[1]) : null
  if (!parsed) throw new AppError(ErrorCode.InvalidToken)
  const row = await findTokenWithUser(db, parsed.id)
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) throw new AppError(ErrorCode.InvalidToken)
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now) throw new AppError(ErrorCode.TokenExpired)
  return {
    userId: row.user_id,
    email: row.email,
    name: row.name,
    tokenId: row.id,
    organizationId: row.organization_id,
  }
}

export interface NewToken {
  name: string
  expiresInDays?: number
  organizationId?: string | null
}

export function tokenView(row: {
  id: string
  name: string
  organization_id: string | null
  created_at: string
  expires_at: string | null
}) {
  return {
    id: row.id,
    name: row.name,
    organizationId: row.organization_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }
}

/**
 * Creates a token for `userId` and returns it with its value, which is never retrievable again. With
 * `maxLive`, refuses (5001) once the user holds that many unexpired tokens.
 */
export async function createToken(
  db: Db,
  userId: string,
  input: NewToken,
  { maxLive }: { maxLive?: number } = {},
) {
  const id = newId()
  const { token, secretHash } = issueSecret(id)
  const createdAt = new Date()
  const row = {
    id,
    user_id: userId,
    organization_id: input.organizationId ?? null,
    name: input.name,
    secret_hash: secretHash,
    created_at: createdAt.toISOString(),
    expires_at:
      input.expiresInDays === undefined
        ? null
        : new Date(createdAt.getTime() + input.expiresInDays * DAY_MS).toISOString(),
  }
  await inTransaction(db, async (trx) => {
    if (maxLive !== undefined && (await countLiveTokensLocked(trx, userId, row.created_at)) >= maxLive)
      throw AppError.conflict(`a user holds at most ${maxLive} live tokens; revoke one first`)
    await insertToken(trx, row)
  })
  return { ...tokenView(row), token }
}

export async function listTokens(db: Db, userId: string, page: PageRequest) {
  const [rows, total] = await Promise.all([
    listTokensOfUser(db, userId, offsetOf(page), page.limit),
    countTokensOfUser(db, userId),
  ])
  return pageOf(rows.map(tokenView), total, page)
}

export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!(await deleteTokenOfUser(db, userId, tokenId))) throw AppError.notFound()
}
