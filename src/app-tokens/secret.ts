import { randomBytes } from 'node:crypto'
import { hashSecret } from '../tokens/secret.js'

// An app token is `osa_<organization id>_<token id>_<secret>`: the two ids find the row by its primary key, the
// secret (32 random bytes) proves possession. As for users' tokens, only a SHA-256 of the secret is stored and it is
// compared in constant time (tokens/secret.ts). The `osa_` prefix is not a user token's `osk_`, so an app token
// authenticates nowhere but on the integration routes.
const APP_TOKEN_PATTERN = /^osa_([a-f0-9]{24})_([a-f0-9]{24})_([A-Za-z0-9_-]{43})$/

export function issueAppSecret(
  organizationId: string,
  tokenId: string,
): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { token: `osa_${organizationId}_${tokenId}_${secret}`, secretHash: hashSecret(secret) }
}

export function parseAppToken(token: string): { organizationId: string; id: string; secret: string } | null {
  const match = APP_TOKEN_PATTERN.exec(token)
  return match?.[1] && match[2] && match[3]
    ? { organizationId: match[1], id: match[2], secret: match[3] }
    : null
}
