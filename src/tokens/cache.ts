import { LRUCache } from 'lru-cache'
import { secretMatches } from './secret.js'
import type { AuthContext } from '../core/auth-context.js'

// Tokens this process has verified, so that a read of an organization costs one query instead of two.
//
// An entry is trusted only by routes whose one query reads the token's row again (`config.cachedToken`, see
// resolveMembership in organizations/access.ts): that row is the version the entry is checked against, read in
// the same query as the membership. So an entry dies on every process the first time it is used after
// - revocation: the row is gone (4004);
// - a membership change: the membership is read in that query; a scoped token whose membership ended has been
//   deleted with it (4004);
// - expiry: the entry's own expiry is checked before it is used, and the row's in the query (4005).
// No process has to tell the others anything, and no stale entry ever answers a request. Every other route
// reads the token from the database as before, and refreshes its entry.

export interface CachedToken {
  auth: AuthContext
  secretHash: string
  /** Milliseconds since the epoch; null for a token that never expires. */
  expiresAt: number | null
}

/** Entries kept: the most recently used tokens of a busy process. */
const MAX_ENTRIES = 10_000
/** An entry not used for this long is dropped, so tokens that stop calling do not stay in memory. */
const IDLE_MS = 10 * 60_000

export class TokenCache {
  private readonly entries = new LRUCache<string, CachedToken>({
    max: MAX_ENTRIES,
    ttl: IDLE_MS,
    updateAgeOnGet: true,
  })

  /**
   * The caller of a cached token, when `secret` is its secret (compared in constant time) and it has not expired.
   * Anything else is left for the database to answer, so that every refusal comes from one place.
   */
  get(tokenId: string, secret: string, now: number): AuthContext | undefined {
    const entry = this.entries.get(tokenId)
    if (!entry || !secretMatches(secret, entry.secretHash)) return undefined
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      this.entries.delete(tokenId)
      return undefined
    }
    return entry.auth
  }

  set(entry: CachedToken): void {
    this.entries.set(entry.auth.tokenId, entry)
  }

  /** Drops a token that a query found revoked or expired. */
  forget(tokenId: string): void {
    this.entries.delete(tokenId)
  }

  get size(): number {
    return this.entries.size
  }
}
