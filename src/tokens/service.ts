import { inTransaction, type Db } from '../db/connect.js'
import { newId } from '../db/ids.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { readPage, type PageRequest } from '../core/pagination.js'
import {
  countLiveTokensLocked,
  countTokensOfUser,
  deleteTokenOfUser,
  findTokenWithUser,
  insertToken,
  listTokensOfUser,
} from './repository.js'
import type { TokenCache } from './cache.js'
import type { AuthContext } from '../core/auth-context.js'
import { issueSecret, parseToken, secretMatches, wrongKindOfToken } from './secret.js'

const DAY_MS = 86_400_000

export interface AuthenticateOptions {
  /** Verified tokens of this process: consulted when `trustCache`, refreshed by every database read. */
  cache?: TokenCache
  /** The route reads the token's row again in its own query (see cache.ts), so a cached entry will do. */
  trustCache?: boolean
  now?: number
}

/** Resolves `Authorization` to a caller, or throws 4002/4004/4005. */
export async function authenticate(
  db: Db,
  header: string | undefined,
  { cache, trustCache = false, now = Date.now() }: AuthenticateOptions = {},
): Promise<AuthContext> {
  if (header === undefined || header.trim() === '') throw new AppError(ErrorCode.NoAuthToken)
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  const parsed = match?.[1] ? parseToken(match[1]) : null
  if (!parsed) throw (match?.[1] && wrongKindOfToken(match[1], 'api')) || new AppError(ErrorCode.InvalidToken)
  const cached = trustCache ? cache?.get(parsed.id, parsed.secret, now) : undefined
  if (cached) return cached
  const row = await findTokenWithUser(db, parsed.id)
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) throw new AppError(ErrorCode.InvalidToken)
  const expiresAt = row.expires_at === null ? null : Date.parse(row.expires_at)
  if (expiresAt !== null && expiresAt <= now) throw new AppError(ErrorCode.TokenExpired)
  const auth: AuthContext = {
    userId: row.user_id,
    email: row.email,
    name: row.name,
    tokenId: row.id,
    organizationId: row.organization_id,
  }
  cache?.set({ auth, secretHash: row.secret_hash, expiresAt })
  return auth
}

/**
 * Checks the token's row as a route's own query read it (see cache.ts): gone is 4004, expired is 4005. A
 * request that got this far had its token verified, by the database or from the cache.
 */
export function confirmToken(token: { expiresAt: string | null } | undefined, now = Date.now()): void {
  if (!token) throw new AppError(ErrorCode.InvalidToken)
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now)
    throw new AppError(ErrorCode.TokenExpired)
}

export interface NewToken {
  name: string
  expiresInDays?: number
  organizationId?: string | null
}

function tokenView(row: {
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
  return readPage(page, listTokensOfUser(db, userId, page), countTokensOfUser(db, userId), tokenView)
}

export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!(await deleteTokenOfUser(db, userId, tokenId))) throw AppError.notFound()
}
