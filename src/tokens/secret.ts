import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError, ErrorCode } from '../core/errors.js'

// An API token is `osk_<token id>_<secret>`: the id finds the row, the secret (32 random bytes) proves
// possession. Only a SHA-256 of the secret is stored — the secret is high-entropy, so a slow hash buys
// nothing — and it is compared in constant time.
const TOKEN_PATTERN = /^osk_([a-f0-9]{24})_([A-Za-z0-9_-]{43})$/

export function issueSecret(tokenId: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { token: `osk_${tokenId}_${secret}`, secretHash: hashSecret(secret) }
}

export function parseToken(token: string): { id: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token)
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : null
}

/** What a route needs: a user's API token (`osk_…`), or an app token (`osa_…`, CI uploads only). */
export type TokenKind = 'api' | 'app'

const PREFIXES: Record<TokenKind, string> = { api: 'osk_', app: 'osa_' }

/**
 * The 4004 for a token of the other kind, when `token` is one: the message stays "Invalid Token", and
 * `error.data` says which kind the route needs. Only the prefix is read, so nothing about the token's validity
 * is revealed.
 */
export function wrongKindOfToken(token: string, needed: TokenKind): AppError | null {
  if (!token.startsWith(PREFIXES[needed === 'api' ? 'app' : 'api'])) return null
  const reason =
    needed === 'api'
      ? 'this route needs an API token (osk_…); an app token (osa_…) works only on /v1/integrations/builds'
      : "this route needs an app token (osa_…, created under an app's tokens); an API token (osk_…) does not work here"
  return new AppError(ErrorCode.InvalidToken, { expected: needed, reason })
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex')
  // One-shot, and the digest's bytes as they are: every authenticated request checks a secret.
  const actual = hash('sha256', secret, 'buffer')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
