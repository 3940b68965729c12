import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthContext } from '../core/auth-context.js'
import { AppError, ErrorCode } from '../core/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller; set by `requireAuth` on every authenticated route. */
    auth: AuthContext
  }
  interface FastifyContextConfig {
    /**
     * The route's handler starts with `resolveMembership` (organizations/access.ts), whose one query reads the
     * token's row again: `requireAuth` may then take the token from this process's cache of verified tokens.
     */
    cachedToken?: boolean
  }
}

/** How callers are recognised; the app hands the tokens module's check in. */
export interface AuthOptions {
  /** Resolves the `Authorization` header to a caller, or throws 4002/4004/4005. */
  authenticate(header: string | undefined, options: { trustCache: boolean }): Promise<AuthContext>
  /** Drops a token from the cache of verified tokens. */
  forget(tokenId: string): void
}

/**
 * Adds the `requireAuth` onRequest hook. It runs before body parsing and validation, so the check order of
 * the contract holds: 4002/4004/4005 come before 3000.
 */
export const authPlugin = fp<AuthOptions>(
  async (app, { authenticate, forget }) => {
    app.decorateRequest('auth', null as unknown as AuthContext)
    app.decorate('requireAuth', async (request: FastifyRequest, _reply: FastifyReply) => {
      request.auth = await authenticate(request.headers.authorization, {
        trustCache: request.routeOptions.config.cachedToken === true,
      })
    })
    // A verified token that a later query found revoked or expired leaves the cache. (A refused secret never
    // touches it: whoever knows a token's id alone cannot evict its entry.)
    app.addHook('onError', async (request, _reply, error: unknown) => {
      const verified = request.auth as AuthContext | null
      if (verified && error instanceof AppError && STALE.has(error.code)) forget(verified.tokenId)
    })
  },
  { name: 'auth', dependencies: ['database'] },
)

const STALE = new Set<number>([ErrorCode.InvalidToken, ErrorCode.TokenExpired])

declare module 'fastify' {
  interface FastifyInstance {
    requireAuth: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}
