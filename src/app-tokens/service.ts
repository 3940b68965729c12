import type { Db, Trx } from '../db/connect.js'
import { newId } from '../db/ids.js'
import { existingApp } from '../apps/service.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { readPage, type PageRequest } from '../core/pagination.js'
import { can, Permission } from '../core/permissions.js'
import type { Role } from '../db/types.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import { secretMatches, wrongKindOfToken } from '../tokens/secret.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  appTokenCreatorRole,
  countTokensOfApp,
  deleteAppToken,
  findAppTokenForAuth,
  insertAppToken,
  listTokensOfApp,
  touchAppToken,
} from './repository.js'
import { issueAppSecret, parseAppToken } from './secret.js'

// App tokens: what a CI uses to upload builds of one app (Applivery's "app tokens"). Created, listed and revoked
// by the app's owners, admins and editors; valid only on the integration routes, and only for their app; gone
// with the app or the organization. A token acts for the member who created it, so it works only while they are a
// member who may create one (editor or above): demoted to viewer or removed, their tokens stop working, and an
// owner or admin issues new ones.

/** The caller of an integration route: one app, on behalf of the member who created the token. */
export interface AppTokenAuth {
  tokenId: string
  organizationId: string
  appId: string
  createdBy: { id: string; email: string }
}

const DAY_MS = 86_400_000

function tokenView(row: { id: string; name: string; created_at: string; expires_at: string | null }) {
  return { id: row.id, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at }
}

/** Whether a token created by a member who now holds `role` (null: left) still works. */
const creatorMayUse = (role: Role | null | undefined) => role != null && can(role, Permission.AppTokenCreate)

export async function createAppToken(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  input: { name: string; expiresInDays?: number },
) {
  return changeOrganization(db, auth, ref, Permission.AppTokenCreate, async ({ trx, org, audit }) => {
    const app = await existingApp(trx, org.id, appRef)
    const id = newId()
    const { token, secretHash } = issueAppSecret(org.id, id)
    const createdAt = new Date()
    const row = {
      organization_id: org.id,
      id,
      app_id: app.id,
      name: input.name,
      secret_hash: secretHash,
      created_by: auth.userId,
      created_at: createdAt.toISOString(),
      expires_at:
        input.expiresInDays === undefined
          ? null
          : new Date(createdAt.getTime() + input.expiresInDays * DAY_MS).toISOString(),
    }
    await insertAppToken(trx, row)
    await audit('app_token.create', 'app_token', id, { name: input.name, app: app.name })
    return { ...tokenView(row), createdBy: { id: auth.userId, email: auth.email }, lastUsedAt: null, token }
  })
}

export async function listAppTokens(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  page: PageRequest,
) {
  const { org } = await accessOrganization(db, auth, ref, Permission.AppTokenList)
  const app = await existingApp(db, org.id, appRef)
  const rows = listTokensOfApp(db, org.id, app.id, page)
  return readPage(page, rows, countTokensOfApp(db, org.id, app.id), (row) => ({
    ...tokenView(row),
    createdBy: { id: row.created_by, email: row.creator_email },
    lastUsedAt: row.last_used_at,
  }))
}

export async function revokeAppToken(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  tokenId: string,
) {
  await changeOrganization(db, auth, ref, Permission.AppTokenRemove, async ({ trx, org, audit }) => {
    const app = await existingApp(trx, org.id, appRef)
    const name = await deleteAppToken(trx, org.id, app.id, tokenId.toLowerCase())
    if (name === undefined) throw AppError.notFound()
    await audit('app_token.remove', 'app_token', tokenId.toLowerCase(), { name, app: app.name })
  })
  return { delete: 'OK' }
}

/**
 * Resolves `Authorization: bearer <app token>` (the scheme in any case, as Applivery's uploaders send it), or
 * throws 4002/4004/4005. A user's API token is no app token: 4004, saying so.
 */
export async function authenticateAppToken(
  db: Db,
  header: string | undefined,
  now = Date.now(),
): Promise<AppTokenAuth> {
  if (header === undefined || header.trim() === '') throw new AppError(ErrorCode.NoAuthToken)
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  const parsed = match?.[1] ? parseAppToken(match[1]) : null
  if (!parsed) throw (match?.[1] && wrongKindOfToken(match[1], 'app')) || new AppError(ErrorCode.InvalidToken)
  const row = await findAppTokenForAuth(db, parsed.organizationId, parsed.id)
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) throw new AppError(ErrorCode.InvalidToken)
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now) throw new AppError(ErrorCode.TokenExpired)
  if (!creatorMayUse(row.creator_role)) throw new AppError(ErrorCode.InvalidToken)
  await touchAppToken(db, row.organization_id, row.id, now)
  return {
    tokenId: row.id,
    organizationId: row.organization_id,
    appId: row.app_id,
    createdBy: { id: row.created_by, email: row.creator_email },
  }
}

/**
 * Under the organization's write lock: a token revoked (or its app deleted), or whose creator was removed or
 * demoted, since authentication writes nothing.
 */
export async function requireAppToken(trx: Trx, auth: AppTokenAuth): Promise<void> {
  if (!creatorMayUse(await appTokenCreatorRole(trx, auth.organizationId, auth.tokenId)))
    throw new AppError(ErrorCode.InvalidToken)
}
